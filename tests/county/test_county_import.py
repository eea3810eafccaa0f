"""A USB-only county seeds itself from its roster; a newly enrolled laptop's first down-bundle then
holds its own villages' households and nothing of any other village."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from county.cli import main as county_main
from county.data import County
from desktop import cli
from desktop.core.database import Database, open_database
from desktop.core.roster.exporter import export_roster
from desktop.core.services.households import create_household
from tests.county.store_counts import county_rows

VILLAGES = {"520102001001": "新寨村", "520102001002": "老寨村"}


def doorstep(*args: object) -> int:
    return cli.main([str(a) for a in args])


def county(*args: object) -> int:
    return county_main([str(a) for a in args])


def make_roster(path: Path, tmp: Path) -> None:
    with open_database(tmp / "source.db") as source:
        with source.unit_of_work() as uow:
            uow.insert("region", {"code": "520102000000", "name": "示范县", "level": "county"})
            uow.insert(
                "region",
                {
                    "code": "520102001000",
                    "name": "红岩镇",
                    "level": "township",
                    "parent_code": "520102000000",
                },
            )
            for code, name in VILLAGES.items():
                uow.insert(
                    "region",
                    {"code": code, "name": name, "level": "village", "parent_code": "520102001000"},
                )
                for i in range(3):
                    create_household(
                        uow,
                        {
                            "number": f"{code}{i:04d}",
                            "county_code": "520102000000",
                            "township_code": "520102001000",
                            "village_code": code,
                        },
                        [{"name": f"{name[0]}户{i}", "relation": "head", "ethnicity": "01"}],
                    )
        export_roster(source, path)


def county_villages(data: Path) -> set[str]:
    """Villages of the households the county store holds."""
    with County.open(data) as store, store.store.read() as conn:
        return {
            str(row[0])
            for row in conn.execute(
                text("SELECT village FROM row_place WHERE tbl = 'household' AND NOT voided")
            )
        }


def households(db: Database) -> set[str]:
    with db.read() as conn:
        return {row[0] for row in conn.execute(text("SELECT village_code FROM household"))}


def test_roster_seeds_the_county_and_reaches_only_the_right_laptop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.xlsx"
    make_roster(roster, tmp_path)
    data = tmp_path / "county"
    assert county("init", "--data", data) == 0
    assert county("import", "--data", data, roster) == 0  # dry run
    assert county_villages(data) == set()
    assert county("import", "--data", data, roster, "--commit") == 0
    assert county_villages(data) == set(VILLAGES)
    assert county("import", "--data", data, roster, "--commit") == 0  # again: nothing doubles
    assert county_rows(data, "household") == 6

    laptop = tmp_path / "laptop.db"
    assert (
        doorstep(
            "enroll", "request", "--db", laptop, "--cadre", "张三", "-o", tmp_path / "req.json"
        )
        == 0
    )
    cert = tmp_path / "cert.json"
    assert (
        county("enroll", "--data", data, tmp_path / "req.json", "--villages", "新寨村", "-o", cert)
        == 0
    )
    assert doorstep("enroll", "accept", "--db", laptop, cert) == 0
    stick = tmp_path / "stick"
    assert county("outbox", "--data", data, "-o", stick / "Doorstep" / "inbox") == 0
    assert doorstep("usb", "sync", "--db", laptop, stick) == 0
    with open_database(laptop) as db:
        assert households(db) == {"520102001001"}


def test_a_file_that_is_not_a_roster_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "county"
    assert county("init", "--data", data) == 0
    bogus = tmp_path / "roster.xlsx"
    bogus.write_text("户编号,姓名\n", encoding="utf-8")
    capsys.readouterr()
    assert county("import", "--data", data, bogus, "--commit") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("错误")
