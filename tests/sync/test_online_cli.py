"""Online enrollment and sync from the command line, as a cadre with a network types them: the
county issues a code (``doorstep-county enroll-code``), ``doorstep enroll online`` takes only the
code (the villages come from it), and ``doorstep sync --db`` then finds the county server the laptop
saved — or says in a sentence that it has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from county.cli import main as county_main
from county.server import create_app
from desktop import cli
from desktop.core.database import open_database
from desktop.sync import keys as keyring
from desktop.sync.client import saved_server
from desktop.ui.sync.online_settings import OnlineSettings, save_settings
from tests.county.live_server import serving
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households, seed_regions

SYNC = ("desktop.sync.cli_commands", "register_sync_commands")


@pytest.fixture(autouse=True)
def sync_commands_registered() -> None:
    if SYNC not in cli.COMMAND_MODULES:
        cli.COMMAND_MODULES.append(SYNC)


def doorstep(*args: object) -> int:
    return cli.main([str(a) for a in args])


@pytest.fixture
def county_root(tmp_path: Path) -> Path:
    from county.data import County

    root = tmp_path / "county"
    assert county_main(["init", "--data", str(root), "--name", "示范县"]) == 0
    with County.open(root) as county, county.authoring() as db:
        with db.unit_of_work(cadre="县里") as uow:
            seed_regions(uow)
        seed_households(db, 2, VILLAGE)
        seed_households(db, 1, OTHER_VILLAGE, start=10)
    return root


def issue_code(root: Path, capsys: pytest.CaptureFixture[str], villages: str) -> str:
    capsys.readouterr()
    assert county_main(["enroll-code", "--data", str(root), "--villages", villages]) == 0
    return capsys.readouterr().out.strip()


def test_enroll_online_takes_only_the_code_then_sync_uses_the_saved_server(
    county_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = tmp_path / "a.db"
    code = issue_code(county_root, capsys, "新寨村")
    with serving(create_app(county_root)) as url:
        enroll = ["enroll", "online", "--db", laptop, "--server", url, "--cadre", "张三"]
        with pytest.raises(SystemExit):  # the cadre names no village any more
            doorstep(*enroll, "--villages", OTHER_VILLAGE, "--code", code)
        capsys.readouterr()
        assert doorstep(*enroll, "--code", "WRONG-CODE-0000") == 1
        assert "登记口令不对" in capsys.readouterr().err
        assert doorstep(*enroll, "--code", code) == 0
        assert VILLAGE in capsys.readouterr().out
        with open_database(laptop) as db:
            assert keyring.certificate(db)["villages"] == [VILLAGE]  # type: ignore[index]
            assert saved_server(db) == url
        assert doorstep("sync", "--db", laptop) == 0  # no --server: the saved one
        assert "已与县服务器同步完毕" in capsys.readouterr().out
        with open_database(laptop) as db, db.read() as conn:
            held = conn.exec_driver_sql("SELECT DISTINCT village_code FROM household").all()
        assert [r[0] for r in held] == [VILLAGE]  # never the other village


def test_sync_reads_the_address_the_app_saved_and_says_when_there_is_none(
    county_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = tmp_path / "b.db"
    code = issue_code(county_root, capsys, VILLAGE)
    with serving(create_app(county_root)) as url:
        from desktop.sync.client import enroll_online

        with open_database(laptop) as db:
            enroll_online(db, url, "李四", code)  # enrolled, but no address saved yet
        assert doorstep("sync", "--db", laptop) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "还没有保存县服务器地址" in err[0] and "--server" in err[0]
        with open_database(laptop) as db:  # what the sync window does when the cadre types it
            save_settings(db, OnlineSettings(url + "/", auto=False))
        assert doorstep("sync", "--db", laptop) == 0
        assert "已与县服务器同步完毕" in capsys.readouterr().out
        with open_database(laptop) as db:
            assert saved_server(db) == url
