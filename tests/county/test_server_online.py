"""Online sync end to end over real HTTP: a county seeded from its roster, two laptops that enroll
online for one village, an edit on A that reaches B through the server, and nothing of the other
village on either laptop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from county.admin_token import admin_token
from county.cli import main as county_main
from county.server import create_app
from desktop import cli
from desktop.core.database import Database, open_database
from desktop.sync.client import enroll_online, sync_online
from desktop.sync.exchange import export_bundles, status
from tests.county.codes import admin, issue
from tests.county.live_server import free_port, serving
from tests.county.store_counts import county_changes
from tests.county.test_county_import import make_roster

VILLAGE = "520102001001"


def households(db: Database) -> dict[str, str]:
    with db.read() as conn:
        return {
            str(r[0]): str(r[1] or "")
            for r in conn.execute(
                text("SELECT village_code || ':' || number, phone FROM household")
            )
        }


@pytest.fixture(scope="module")
def seeded_county(tmp_path_factory: pytest.TempPathFactory, county_database: object) -> Path:
    root = tmp_path_factory.mktemp("online")
    roster = root / "roster.xlsx"
    make_roster(roster, root)
    data = root / "county"
    assert county_main(["init", "--data", str(data), "--name", "示范县"]) == 0
    assert county_main(["import", "--data", str(data), str(roster), "--commit"]) == 0
    return data


def test_two_laptops_sync_online_through_the_county(
    seeded_county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(seeded_county)
    code = issue(seeded_county, ["新寨村"], uses=2)  # one code for the village's two cadres
    with serving(app) as url:
        a = open_database(tmp_path / "a.db")
        b = open_database(tmp_path / "b.db")
        try:
            enroll_online(a, url, "张三", code)
            enroll_online(b, url, "李四", code)
            steps: list[tuple[str, int, int]] = []
            first = sync_online(a, url, progress=lambda *s: steps.append(s))
            assert first.synced, first.lines()
            assert ("download", 1, 1) in steps
            assert set(households(a)) == {f"{VILLAGE}:{VILLAGE}{i:04d}" for i in range(3)}

            with a.read() as conn:
                target = conn.execute(
                    text("SELECT id FROM household WHERE number = :n"), {"n": f"{VILLAGE}0001"}
                ).scalar_one()
            with a.unit_of_work() as uow:
                uow.update("household", target, {"phone": "13800138000"})
            report = sync_online(a, url)
            assert report.synced, report.lines()
            assert [u.status for u in report.uploads] == ["applied"]
            assert status(a).unacknowledged_bundles == 0  # the county's ack pruned the outbox

            assert doorstep("sync", "--db", tmp_path / "b.db", "--server", url) == 0
            out = capsys.readouterr().out
            assert "已与县服务器同步完毕" in out
            held = households(b)
            assert held[f"{VILLAGE}:{VILLAGE}0001"] == "13800138000"
            assert all(key.startswith(VILLAGE) for key in held)  # never the other village
            again = sync_online(b, url)
            assert again.synced and again.nothing_new

            devices = httpx.get(f"{url}/devices", headers=admin(seeded_county)).json()
            assert {d["cadre"] for d in devices} == {"张三", "李四"}
            assert all(d["last_contact"] and d["pending"] == 0 for d in devices)
            assert httpx.get(f"{url}/").status_code == 401  # the county view: admin only
            page = httpx.get(f"{url}/", auth=("县信息科", admin_token(seeded_county))).text
            assert "新寨村" in page and "张三" in page and "示范县" in page
        finally:
            a.close()
            b.close()


def test_the_same_bundle_twice_at_once_is_applied_once(seeded_county: Path, tmp_path: Path) -> None:
    app = create_app(seeded_county)
    code = issue(seeded_county, [VILLAGE])
    with serving(app) as url, open_database(tmp_path / "c.db") as c:
        enroll_online(c, url, "王五", code)
        assert sync_online(c, url).synced
        with c.read() as conn:
            target = conn.execute(
                text("SELECT id FROM household WHERE number = :n"), {"n": f"{VILLAGE}0002"}
            ).scalar_one()
        with c.unit_of_work() as uow:
            uow.update("household", target, {"phone": "13900139000"})
        bundle = export_bundles(c).new_bundle
        assert bundle is not None
        body = bundle.path.read_bytes()
        before = county_changes(seeded_county)
        results: list[httpx.Response] = []

        def upload() -> None:
            results.append(
                httpx.post(f"{url}/bundles", params={"name": bundle.path.name}, content=body)
            )

        threads = [threading.Thread(target=upload) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.json()["status"] for r in results)
        assert [r.status_code for r in results] == [200, 200]
        assert statuses == ["applied", "duplicate"]
        duplicate = next(r.json() for r in results if r.json()["status"] == "duplicate")
        assert "已经应用过" in duplicate["message"]
        assert county_changes(seeded_county) == before + 1


def test_an_unreachable_server_is_reported_honestly_then_retried(
    seeded_county: Path, tmp_path: Path
) -> None:
    code = issue(seeded_county, [VILLAGE])
    with serving(create_app(seeded_county)) as url, open_database(tmp_path / "d.db") as d:
        enroll_online(d, url, "赵六", code)
    port = free_port()
    with open_database(tmp_path / "d.db") as d:
        report = sync_online(d, f"http://127.0.0.1:{port}", retries=2, backoff=0.01)
        assert not report.synced
        assert report.error is not None and "连不上县服务器" in report.error
        assert "同步没有全部完成" in report.lines()[-1]
        assert report.uploads == []

        # the server comes up while the laptop is backing off: the sync then completes
        stop = threading.Event()

        def late_server() -> None:
            time.sleep(0.3)
            with serving(create_app(seeded_county), port):
                stop.wait(20)

        thread = threading.Thread(target=late_server)
        thread.start()
        try:
            report = sync_online(d, f"http://127.0.0.1:{port}", retries=6, backoff=0.1)
        finally:
            stop.set()
            thread.join()
        assert report.synced, report.lines()
        assert len(households(d)) == 3


def test_a_revoked_laptop_is_told_why_and_not_synced(seeded_county: Path, tmp_path: Path) -> None:
    code = issue(seeded_county, [VILLAGE])
    with serving(create_app(seeded_county)) as url, open_database(tmp_path / "e.db") as e:
        enroll_online(e, url, "钱七", code)
        assert sync_online(e, url).synced
        with e.read() as conn:
            target = conn.execute(text("SELECT id FROM household LIMIT 1")).scalar_one()
        with e.unit_of_work() as uow:
            uow.update("household", target, {"phone": "13700137000"})
        before = county_changes(seeded_county)
        assert county_main(["revoke", "--data", str(seeded_county), e.device_id]) == 0
        report = sync_online(e, url)
        assert not report.synced
        assert [u.status for u in report.uploads] == ["refused"]
        assert "已被吊销" in report.uploads[0].message
        assert county_changes(seeded_county) == before
        assert status(e).unacknowledged_bundles == 1  # kept: nothing is lost on the laptop


def test_serve_refuses_a_database_it_cannot_use(
    seeded_county: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = "postgresql+psycopg://county:secret@127.0.0.1:1/doorstep"
    assert county_main(["serve", "--data", str(seeded_county), "--db", unreachable]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "连不上县级数据库" in err[0]
    assert "secret" not in err[0]  # the password never reaches a message or log
    assert county_main(["serve", "--data", str(seeded_county), "--db", "mysql://x@y/z"]) == 1
    assert "数据库地址" in capsys.readouterr().err


def doorstep(*args: object) -> int:
    return cli.main([str(a) for a in args])
