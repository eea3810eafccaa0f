"""Enrollment codes bound to villages: the county issues them, the laptop or township office only
types one, and the certificate names the code's villages. Wrong, expired, used-up and other-role
codes are refused with a sentence; a one-use code presented twice at the same moment enrolls once.
On the embedded SQLite store and on PostgreSQL (see conftest.py)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from county.cli import main as county_main
from county.data import County
from county.enroll_codes import (
    ALPHABET,
    ROLE_STATION,
    CodeRefused,
    code_hash,
    enroll_device,
    normalized,
)
from county.server import create_app
from county.server.stations import station_certificate, station_revoked
from county.store import schema
from desktop.core.database import open_database
from desktop.sync import keys as keyring
from desktop.sync.station import Station
from tests.county.codes import issue
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_regions

CODE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


@pytest.fixture
def county(tmp_path: Path, county_database: object) -> Any:
    root = tmp_path / "county"
    assert county_main(["init", "--data", str(root), "--name", "示范县"]) == 0
    with County.open(root) as opened:
        with opened.authoring() as db, db.unit_of_work(cadre="县里") as uow:
            seed_regions(uow)
        yield opened


def request_for(tmp_path: Path, name: str, cadre: str = "张三") -> dict[str, Any]:
    with open_database(tmp_path / f"{name}.db") as db:
        return keyring.enrollment_request(db, cadre)


def stored_codes(county: County) -> list[dict[str, Any]]:
    with county.store.read() as conn:
        return [dict(r) for r in conn.execute(select(schema.enroll_code)).mappings()]


def test_enroll_code_command_prints_a_typable_code_stored_only_as_a_hash(
    county: County, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(county.root)
    argv = ["enroll-code", "--data", root, "--villages", "新寨村", "--cadre", "张三"]
    assert county_main(argv) == 0
    out, err = capsys.readouterr()
    code = out.strip()
    assert CODE.fullmatch(code), code
    assert not set(code) & set("01OIL")  # nothing a cadre could misread
    assert "张三" in err and VILLAGE in err and "1 次" in err
    [row] = stored_codes(county)
    assert row["code_hash"] == code_hash(code) and code not in json.dumps(row)
    assert json.loads(row["villages"]) == [VILLAGE] and row["uses_left"] == 1
    assert row["role"] == "device" and row["cadre"] == "张三"

    station = ["--role", "township-relay", "--days", "30", "--uses", "2", "--json"]
    assert county_main(["enroll-code", "--data", root, "--villages", OTHER_VILLAGE, *station]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert issued["role"] == ROLE_STATION and issued["villages"] == [OTHER_VILLAGE]
    assert issued["uses"] == 2 and issued["expires_at"].endswith("Z")

    for bad, reason in (
        (["--villages", "没有这个村"], "找不到名为"),
        (["--villages", VILLAGE, "--days", "0"], "有效天数"),
        (["--villages", VILLAGE, "--uses", "0"], "可用次数"),
    ):
        assert county_main(["enroll-code", "--data", root, *bad]) == 1
        assert reason in capsys.readouterr().err
    assert len(stored_codes(county)) == 2  # the refused ones stored nothing


def test_the_certificate_names_the_codes_villages_and_cadre(county: County, tmp_path: Path) -> None:
    code = issue(county, [VILLAGE, "坪上村"], cadre="张三丰")
    typed = f"  {normalized(code).lower()} "  # case, spaces and dashes do not matter
    cert = enroll_device(county, request_for(tmp_path, "a", cadre="小张"), typed)
    assert cert["villages"] == sorted([VILLAGE, OTHER_VILLAGE])
    assert cert["cadre"] == "张三丰"  # the county's word, not what the laptop typed
    with open_database(tmp_path / "a.db") as db:
        assert keyring.accept_certificate(db, cert)["cadre"] == "张三丰"
    assert county.certificate(cert["device_id"]) == cert


def test_a_narrower_request_is_allowed_and_one_outside_refused_without_using_the_code(
    county: County, tmp_path: Path
) -> None:
    code = issue(county, [VILLAGE])
    with pytest.raises(CodeRefused, match="不在其中") as refused:
        enroll_device(county, request_for(tmp_path, "a"), code, [VILLAGE, OTHER_VILLAGE])
    assert OTHER_VILLAGE in str(refused.value)
    assert stored_codes(county)[0]["uses_left"] == 1  # the refusal rolled back: still usable
    cert = enroll_device(county, request_for(tmp_path, "a"), code, ["新寨村"])
    assert cert["villages"] == [VILLAGE]


def test_wrong_expired_used_up_and_other_role_codes_are_refused(
    county: County, tmp_path: Path
) -> None:
    request = request_for(tmp_path, "a")
    with pytest.raises(CodeRefused, match="口令不对"):
        enroll_device(county, request, "ABCD-EFGH-JKMN")
    with pytest.raises(CodeRefused, match="口令不对"):
        enroll_device(county, request, "")
    station_code = issue(county, [VILLAGE], role=ROLE_STATION)
    with pytest.raises(CodeRefused, match="乡镇中转站用的"):
        enroll_device(county, request, station_code)
    expired = issue(county, [VILLAGE])
    with county.store.begin() as conn:
        conn.execute(
            update(schema.enroll_code)
            .where(schema.enroll_code.c.code_hash == code_hash(expired))
            .values(expires_at="2020-01-01T00:00:00Z")
        )
    with pytest.raises(CodeRefused, match="过期"):
        enroll_device(county, request, expired)
    once = issue(county, [VILLAGE])
    enroll_device(county, request, once)
    with pytest.raises(CodeRefused, match="用完"):
        enroll_device(county, request_for(tmp_path, "b"), once)
    assert [c["device_id"] for c in county.devices()] == [request["device_id"]]


def test_a_one_use_code_at_the_same_moment_enrolls_exactly_one_laptop(
    county: County, tmp_path: Path
) -> None:
    code = issue(county, [VILLAGE], uses=2)
    requests = [request_for(tmp_path, f"l{i}", cadre=f"干部{i}") for i in range(6)]
    start = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def enroll(request: dict[str, Any]) -> None:
        start.wait()
        try:
            enroll_device(county, request, code)
            outcomes.append("enrolled")
        except CodeRefused as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=enroll, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("enrolled") == 2, outcomes
    assert all("用完" in o for o in outcomes if o != "enrolled")
    assert len(county.devices()) == 2 and stored_codes(county)[0]["uses_left"] == 0


def test_over_http_laptops_and_stations_each_need_their_own_kind_of_code(
    county: County, tmp_path: Path
) -> None:
    device_code = issue(county, [VILLAGE])
    station_code = issue(county, [OTHER_VILLAGE], role=ROLE_STATION)
    station = Station(tmp_path / "station")
    with TestClient(create_app(county.root)) as client:
        crossed = client.post(
            "/stations/enroll",
            json={"request": station.request("坪上镇"), "enroll_code": device_code},
        )
        assert crossed.status_code == 403 and "笔记本电脑用的" in crossed.json()["detail"]
        outside = client.post(
            "/stations/enroll",
            json={
                "request": station.request("坪上镇"),
                "enroll_code": station_code,
                "villages": [VILLAGE],
            },
        )
        assert outside.status_code == 403 and "不在其中" in outside.json()["detail"]
        done = client.post(
            "/stations/enroll",
            json={"request": station.request("坪上镇"), "enroll_code": station_code},
        )
        assert done.status_code == 200, done.text
        cert = done.json()
        assert cert["villages"] == [OTHER_VILLAGE] and cert["role"] == ROLE_STATION
        used = client.post(
            "/stations/enroll",
            json={
                "request": Station(tmp_path / "s2").request("又一站"),
                "enroll_code": station_code,
            },
        )
        assert used.status_code == 403 and "用完" in used.json()["detail"]
        laptop = client.post(
            "/enroll", json={"request": request_for(tmp_path, "a"), "enroll_code": device_code}
        )
        assert laptop.status_code == 200 and laptop.json()["villages"] == [VILLAGE]
    assert station_certificate(county, cert["station_id"]) == cert


def test_revoke_takes_a_station_id_too(
    county: County, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from county.server.stations import enroll_station

    station = Station(tmp_path / "station")
    cert = enroll_station(
        county, station.request("红岩镇"), issue(county, [VILLAGE], role=ROLE_STATION)
    )
    ident = cert["station_id"]
    root = str(county.root)
    assert county_main(["revoke", "--data", root, ident, "--reason", "电脑被盗"]) == 0
    assert "中转站" in capsys.readouterr().out
    assert station_revoked(county, ident)
    assert county_main(["revoke", "--data", root, ident]) == 1
    assert "已经被吊销" in capsys.readouterr().err
    assert county_main(["revoke", "--data", root, "0000-1111"]) == 1
    assert "没有登记过" in capsys.readouterr().err


def test_two_laptops_posting_one_use_code_at_once_over_http_one_is_enrolled(
    county: County, tmp_path: Path
) -> None:
    import httpx

    from tests.county.live_server import serving

    code = issue(county, [VILLAGE])
    requests = [request_for(tmp_path, name) for name in ("x", "y")]
    start = threading.Barrier(2)
    answers: list[httpx.Response] = []
    with serving(create_app(county.root)) as url:

        def post(request: dict[str, Any]) -> None:
            start.wait()
            answers.append(
                httpx.post(f"{url}/enroll", json={"request": request, "enroll_code": code})
            )

        threads = [threading.Thread(target=post, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(a.status_code for a in answers) == [200, 403]
    [refused] = [a for a in answers if a.status_code == 403]
    assert "用完" in refused.json()["detail"]
    assert len(county.devices()) == 1
