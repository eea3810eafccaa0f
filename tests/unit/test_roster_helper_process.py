"""A large roster is read with a helper process (household sheet there, member sheet here) and
the helper works out the members' pinyin keys while rows are written. None of that may change
what the import does: same rows, same problems in the same order and language, same search."""

from __future__ import annotations

import multiprocessing
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from roster_builder import household, member, pid, write_roster
from sqlalchemy import text

from desktop.core import i18n
from desktop.core.database import Database, open_database
from desktop.core.roster import helper_process
from desktop.core.roster.importer import import_roster
from desktop.core.roster.reader import read_roster
from desktop.core.roster.xlsx import RosterFileError
from desktop.core.search import search
from desktop.core.search.keys import name_keys


def messy_roster(path: Path, extra: int = 80) -> Path:
    households = [
        household("H001", 户主姓名="王芳"),
        household("H002", 户主姓名="张三", 住房面积="很大"),
        household("H003", 户主姓名="陈五"),
    ]
    members = [
        member("H001", "王芳", pid("19491231", 2)),
        member("H002", "张三", pid("19700101", 31)),
        member("H003", "陈五", pid("19710101", 31)),
        member("H003", "陈小五", 520102200001011235.0, "之子"),  # Excel float: digits lost
        member("H009", "孤儿", pid("19730101", 31)),  # no 户 row
    ]
    for n in range(extra):  # enough households for the bulk search re-index
        number = f"K{n:04d}"
        name = "曾" + "明华国建志秀英"[n % 7] + "玉兰芳军"[n % 4]
        households.append(household(number, 户主姓名=name))
        members.append(member(number, name, pid("19800101", 2 * n + 1)))
    return write_roster(path, households, members)


def content(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT h.number, h.head_name, h.size, m.name, m.id_number, m.gender, "
                    "m.birth_date FROM household h JOIN member m ON m.household_id = h.id "
                    "ORDER BY h.number, m.name"
                )
            )
        ]


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(helper_process, "PARALLEL_BYTES", 0)
    yield


def test_the_helper_process_changes_nothing_the_import_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = messy_roster(tmp_path / "r.xlsx")
    results = {}
    for label, threshold in (("serial", 10**12), ("parallel", 0)):
        monkeypatch.setattr(helper_process, "PARALLEL_BYTES", threshold)
        db = open_database(tmp_path / f"{label}.db")
        report = import_roster(db, roster, commit=True)
        found = search(db, "zengming", limit=100)
        results[label] = (
            [(p.severity, p.code, p.message, p.sheet, p.row, p.column) for p in report.problems],
            report.created,
            sorted(report.skipped),
            content(db),
            sorted(h.household_number for h in found),
        )
        db.close()
    assert results["parallel"] == results["serial"]
    problems, created, skipped, rows, found = results["parallel"]
    assert "member.orphan" in {p[1] for p in problems}
    assert "id.excel_number" in {p[1] for p in problems}
    assert skipped == ["H002", "H003"] and len(created) == 81
    # 曾 read as zeng (its surname reading), every 7th household is 曾明…
    assert found == [f"K{n:04d}" for n in range(0, 80, 7)]


def test_the_helpers_problems_come_back_in_the_callers_language(
    tmp_path: Path, always_parallel: None
) -> None:
    roster = messy_roster(tmp_path / "r.xlsx", extra=0)
    i18n.set_language("en")
    try:
        with helper_process.helper_process(roster) as helper:
            assert helper is not None
            report = read_roster(roster, helper)
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    area = next(p for p in report.problems if p.code == "number.format")  # found in the helper
    assert (area.sheet, area.row, area.column) == ("户", 3, "住房面积")
    assert "must be a number" in area.message, area.message


def test_a_helper_that_cannot_start_means_reading_here(tmp_path: Path) -> None:
    roster = messy_roster(tmp_path / "r.xlsx", extra=0)
    broken = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    broken.shutdown()  # submit now raises RuntimeError, as when no process can be started
    report = read_roster(roster, broken)
    assert report.member_rows == 5
    assert {p.code for p in report.problems} >= {"member.orphan", "id.excel_number"}


def test_the_helpers_name_keys_are_the_ones_computed_here(
    tmp_path: Path, always_parallel: None
) -> None:
    roster = messy_roster(tmp_path / "r.xlsx", extra=0)
    names = ["张三", "曾小明", "单田芳", "欧阳娜娜"]
    with helper_process.helper_process(roster) as helper:
        assert helper is not None
        away = helper.submit(helper_process.name_keys_for, names).result()
    assert away == {n: name_keys(n) for n in names}


def test_a_broken_sheet_found_by_the_helper_is_reported_as_usual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = messy_roster(tmp_path / "r.xlsx", extra=0)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # the 户 sheet, read by the helper
                data = data[: len(data) // 2] + b"<<not xml"
            dst.writestr(item, data)
    messages = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(helper_process, "PARALLEL_BYTES", threshold)
        db = open_database(tmp_path / f"{threshold}.db")
        with pytest.raises(RosterFileError) as failed:
            import_roster(db, broken, commit=True)
        messages.append(str(failed.value))
        assert content(db) == []
        db.close()
    assert messages[0] == messages[1] and "已损坏" in messages[0]
