"""End to end: a county, two townships, three laptops, real HTTP and real bundles.

The county (seeded from its roster: three villages in two townships) runs its server on
loopback. Laptop 张三 works in 新寨村 and syncs online only; 李四 works in 新寨村 and 老寨村 and
syncs only by USB stick through the 红岩镇 relay; 王五 works in 新寨村 and 坪上村 and does both:
online, and by stick through the 青山镇 relay, which sees the county only every other visit (store
and forward). All three edit, and two of them change the same household's phone number without
seeing each other. After a few ordinary rounds of syncing, every laptop and the county hold the
same data for the villages they share and the same conflicts, and no laptop holds a household of a
village it does not work in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from county.cli import main as county_main
from county.server import create_app
from desktop.core.database import Database, open_database
from desktop.core.models import SYNCED
from desktop.core.roster.exporter import export_roster
from desktop.core.services.households import add_member, create_household
from desktop.core.services.visits import record_visit
from desktop.sync.client import enroll_online, sync_online
from desktop.sync.relay import RelayReport, enroll_station, relay_stick
from desktop.sync.usb import sync_stick
from tests.county.codes import admin, issue
from tests.county.conftest import PG_ENV, PostgresDatabases
from tests.county.live_server import free_port, serving

COUNTY = "520102000000"
HONGYAN, QINGSHAN = "520102001000", "520102002000"  # the two townships
XINZHAI, LAOZHAI, PINGSHANG = "520102001001", "520102001002", "520102002001"
VILLAGES = {
    XINZHAI: ("新寨村", HONGYAN),
    LAOZHAI: ("老寨村", HONGYAN),
    PINGSHANG: ("坪上村", QINGSHAN),
}
WORKS_IN = {"张三": {XINZHAI}, "李四": {XINZHAI, LAOZHAI}, "王五": {XINZHAI, PINGSHANG}}


def make_roster(path: Path, tmp: Path) -> None:
    with open_database(tmp / "roster-source.db") as source:
        with source.unit_of_work() as uow:
            _households(uow)
        export_roster(source, path)


def _households(uow: Any) -> None:
    """Three villages in two townships, three households each."""
    uow.insert("region", {"code": COUNTY, "name": "示范县", "level": "county"})
    for code, name in ((HONGYAN, "红岩镇"), (QINGSHAN, "青山镇")):
        uow.insert(
            "region", {"code": code, "name": name, "level": "township", "parent_code": COUNTY}
        )
    for code, (name, township) in VILLAGES.items():
        uow.insert(
            "region", {"code": code, "name": name, "level": "village", "parent_code": township}
        )
        for i in range(3):
            create_household(
                uow,
                {
                    "number": f"{code}{i:04d}",
                    "county_code": COUNTY,
                    "township_code": township,
                    "village_code": code,
                },
                [{"name": f"{name[0]}户{i}", "relation": "head", "ethnicity": "01"}],
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The county on its embedded SQLite default, and on PostgreSQL (production's database)
    when ``DOORSTEP_TEST_PG_URL`` names a test server (CI starts one)."""
    databases, database = None, []
    if request.param == "postgresql":
        if not os.environ.get(PG_ENV):
            if os.environ.get("CI"):
                pytest.fail(f"CI must run the end-to-end test on PostgreSQL: {PG_ENV} is not set")
            pytest.skip(f"PostgreSQL not available (set {PG_ENV})")
        databases = PostgresDatabases(os.environ[PG_ENV])
        database = ["--db", databases.fresh()]
    roster = tmp_path / "roster.xlsx"
    make_roster(roster, tmp_path)
    data = tmp_path / "county"
    try:
        assert county_main(["init", "--data", str(data), "--name", "示范县", *database]) == 0
        assert county_main(["import", "--data", str(data), str(roster), "--commit"]) == 0
        with serving(create_app(data)) as url:
            yield data, url
    finally:
        if databases is not None:
            databases.drop_all()


def household_id(db: Database, number: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                text("SELECT id FROM household WHERE number = :n"), {"n": number}
            ).scalar_one()
        )


def village_state(db: Database, villages: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Every synced row that belongs to the given villages, in a comparable order."""
    marks = ", ".join(f"'{v}'" for v in sorted(villages))
    homes = f"SELECT id FROM household WHERE village_code IN ({marks})"
    state: dict[str, list[dict[str, Any]]] = {}
    with db.read() as conn:
        for table, model in SYNCED.items():
            columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
            if table == "household":
                where = f"village_code IN ({marks})"
            elif "household_id" in columns:
                where = f"household_id IN ({homes})"
            else:
                continue  # regions and helpers: the county's lists, not a village's records
            rows = conn.execute(text(f"SELECT * FROM {table} WHERE {where} ORDER BY id"))
            state[table] = [dict(r) for r in rows.mappings()]
    return state


def conflicts(db: Database, villages: set[str]) -> set[tuple[Any, ...]]:
    marks = ", ".join(f"'{v}'" for v in sorted(villages))
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT c.tbl, c.row_id, c.field, c.winner_value, c.loser_value, "
                "c.resolved_by_change IS NOT NULL FROM conflict c JOIN household h "
                f"ON h.id = c.row_id WHERE c.tbl = 'household' AND h.village_code IN ({marks})"
            )
        ).all()
    return {(t, r, f, json.loads(w), json.loads(lo), bool(done)) for t, r, f, w, lo, done in rows}


def held_villages(db: Database) -> set[str]:
    with db.read() as conn:
        homes = {str(r[0]) for r in conn.execute(text("SELECT village_code FROM household"))}
        members = {
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT h.village_code FROM member m LEFT JOIN household h "
                    "ON h.id = m.household_id"
                )
            )
        }
    return homes | members


def everyone_agrees(
    laptops: dict[str, Database], auditor: Database, url: str, resolved: bool, data: Path
) -> None:
    """The laptops, the county (through a fresh laptop for every village, and its conflict list)
    hold the same rows for the villages they share, the same conflicts, and nothing else."""
    assert sync_online(auditor, url).synced
    county_conflicts = {
        (c["table"], c["row_id"], c["field"], c["winner_value"], c["loser_value"], c["resolved"])
        for c in httpx.get(
            f"{url}/conflicts", params={"include_resolved": True}, headers=admin(data)
        ).json()
    }
    assert len(county_conflicts) == 1
    [(table, _row, field, winner, loser, done)] = county_conflicts
    assert (table, field, {winner, loser}, done) == (
        "household",
        "phone",
        {"13800000001", "13900000002"},
        resolved,
    )
    for name, villages in WORKS_IN.items():
        db = laptops[name]
        assert held_villages(db) == villages, f"{name} holds another village's data"
        assert village_state(db, villages) == village_state(auditor, villages), name
        assert conflicts(db, {XINZHAI}) == conflicts(auditor, {XINZHAI}) == county_conflicts
    for a, b in (("张三", "李四"), ("张三", "王五"), ("李四", "王五")):
        common = WORKS_IN[a] & WORKS_IN[b]
        assert village_state(laptops[a], common) == village_state(laptops[b], common)


def test_three_laptops_two_townships_one_county(county: tuple[Path, str], tmp_path: Path) -> None:
    data, url = county
    offline = f"http://127.0.0.1:{free_port()}"  # nothing listens here: the county "unreachable"
    laptops = {name: open_database(tmp_path / f"{name}.db") for name in WORKS_IN}
    auditor = open_database(tmp_path / "auditor.db")
    try:
        for name, villages in WORKS_IN.items():
            enroll_online(laptops[name], url, name, issue(data, sorted(villages), cadre=name))
        hongyan, qingshan = tmp_path / "红岩镇", tmp_path / "青山镇"
        enroll_station(hongyan, url, "红岩镇", issue(data, [XINZHAI, LAOZHAI], "township-relay"))
        enroll_station(qingshan, url, "青山镇", issue(data, [PINGSHANG], "township-relay"))
        sticks = {"李四": tmp_path / "stick-李四", "王五": tmp_path / "stick-王五"}
        for stick in sticks.values():
            stick.mkdir()
        zhang, li, wang = laptops["张三"], laptops["李四"], laptops["王五"]
        relayed: list[RelayReport] = []
        visits: dict[Path, int] = {}

        def by_stick(name: str, station: Path) -> None:
            stick, db = sticks[name], laptops[name]
            assert sync_stick(db, stick).imported.ok
            # 青山镇 reaches the county only on every other visit
            visits[station] = visits.get(station, 0) + 1
            server = offline if station == qingshan and visits[station] % 2 else url
            report = relay_stick(stick, server, station)
            relayed.append(report)
            assert not report.refused, report.summary()
            assert report.online == (server == url)
            assert sync_stick(db, stick).imported.ok

        def a_round() -> None:
            assert sync_online(zhang, url).synced
            by_stick("李四", hongyan)
            by_stick("王五", qingshan)
            assert sync_online(wang, url).synced

        a_round()  # everyone receives their villages from the county
        for name, villages in WORKS_IN.items():
            assert held_villages(laptops[name]) == villages, name

        # the edits: 张三 and 李四 change one household's phone without seeing each other
        shared = f"{XINZHAI}0000"
        with zhang.unit_of_work() as uow:
            uow.update("household", household_id(zhang, shared), {"phone": "13800000001"})
            add_member(uow, household_id(zhang, shared), {"name": "新生儿", "relation": "son"})
        with li.unit_of_work() as uow:
            uow.update("household", household_id(li, shared), {"phone": "13900000002"})
            record_visit(
                uow,
                household_id(li, f"{LAOZHAI}0001"),
                {"visit_date": date(2024, 5, 6), "purpose": "income_check"},
            )
        with wang.unit_of_work() as uow:
            uow.update("household", household_id(wang, shared), {"housing_area": 86.5})
            uow.update(
                "household", household_id(wang, f"{PINGSHANG}0002"), {"phone": "13700000003"}
            )

        a_round()
        with wang.unit_of_work() as uow:  # this one leaves on the stick on an offline day
            add_member(
                uow, household_id(wang, f"{PINGSHANG}0001"), {"name": "王小", "relation": "son"}
            )
        for _ in range(3):
            a_round()
        # 青山镇 kept 王五's bundle while offline and forwarded it later (the county already had it
        # from 王五's online sync: acknowledged, applied once)
        assert any(r.stored for r in relayed) and any(r.forwarded for r in relayed)
        assert any("之前已经应用过" in i.message for r in relayed for i in r.forwarded)
        assert any(r.written for r in relayed)

        # the county's state as it serves it: a fresh laptop for all three villages
        enroll_online(auditor, url, "县审计", issue(data, sorted(VILLAGES)))
        everyone_agrees(laptops, auditor, url, resolved=False, data=data)
        with zhang.read() as conn:
            row = conn.execute(
                text("SELECT phone, housing_area, size FROM household WHERE number = :n"),
                {"n": shared},
            ).one()
        assert row.housing_area == 86.5 and row.size == 2  # every edit arrived everywhere
        assert row.phone in {"13800000001", "13900000002"}

        # the county decides the conflict; the decision travels by both roads
        [conflict] = httpx.get(f"{url}/conflicts", headers=admin(data)).json()
        decided = httpx.post(
            f"{url}/conflicts/{conflict['id']}/resolve",
            json={"value": "13900000002"},
            headers=admin(data),
        )
        assert decided.status_code == 200, decided.text
        a_round()
        everyone_agrees(laptops, auditor, url, resolved=True, data=data)
        for db in laptops.values():
            with db.read() as conn:
                phone = conn.execute(
                    text("SELECT phone FROM household WHERE number = :n"), {"n": shared}
                ).scalar_one()
            assert phone == "13900000002"
    finally:
        for db in (*laptops.values(), auditor):
            db.close()
