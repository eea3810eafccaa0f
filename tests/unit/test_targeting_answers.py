"""Hand answers to the scoring rubric: stored, latest wins, voiding withdraws, bad codes refused,
the ranking follows them, ``doorstep score --answer`` records one, and two laptops agree."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from desktop.cli import run_handler
from desktop.core.database import Database
from desktop.core.services.errors import NotFound, ServiceError, ValidationFailed
from desktop.core.targeting.answers import (
    latest_answers,
    record_score_answer,
    saved_answers,
    withdraw_score_answer,
)
from desktop.core.targeting.cli_command import register_targeting_commands
from desktop.core.targeting.rubric import load_rubric
from desktop.core.targeting.service import household_score, rank_applicants
from tests.sync.replicas import entries, open_replicas, seed_households, seed_regions, ship
from tests.unit.targeting_builder import TODAY, adult, make_household


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="doorstep")
    register_targeting_commands(parser.add_subparsers(dest="command"))
    code = run_handler(parser.parse_args(argv))
    out, err = capsys.readouterr()
    return code, out, err


def answer(db: Database, hid: str, indicator: str, option: str, on: date, **kw: str) -> str:
    with db.unit_of_work(cadre="村干部") as uow:
        return record_score_answer(uow, hid, indicator, option, "王村长", on, **kw)


def housing_line(db: Database, hid: str) -> tuple[str | None, bool, float]:
    line = household_score(db, hid, today=TODAY).breakdown[0]
    assert line.indicator == "housing"
    return line.option, line.manual, line.weighted


def test_an_answer_is_stored_and_scores(db: Database, village: str) -> None:
    hid = make_household(db, village, danger_grade=None)
    assert housing_line(db, hid) == (None, False, 0.0)
    row_id = answer(db, hid, "看房", "C级危房", date(2026, 11, 10), note="墙体开裂")
    with db.read() as conn:
        stored = conn.exec_driver_sql(
            "SELECT indicator, option, answered_by, answered_on, note FROM score_answer "
            "WHERE id = ?",
            (row_id,),
        ).one()
        logged = conn.exec_driver_sql(
            "SELECT op, household_id, cadre FROM change_log WHERE tbl = 'score_answer'"
        ).all()
    assert tuple(stored) == ("housing", "c", "王村长", "2026-11-10", "墙体开裂")
    assert [tuple(r) for r in logged] == [("insert", hid, "村干部")]
    assert saved_answers(db) == {hid: {"housing": "c"}}
    assert housing_line(db, hid) == ("c", True, 24.0)
    # an explicit answer still overrides the saved one
    explicit = household_score(db, hid, answers={"housing": "b"}, today=TODAY)
    assert explicit.breakdown[0].option == "b"


def test_latest_answer_wins_by_date_then_record_order(db: Database, village: str) -> None:
    hid = make_household(db, village, danger_grade=None)
    answer(db, hid, "housing", "c", date(2026, 11, 10))
    answer(db, hid, "housing", "b", date(2026, 11, 5))  # recorded later, answered earlier
    assert saved_answers(db, [hid]) == {hid: {"housing": "c"}}
    answer(db, hid, "housing", "no_or_d", date(2026, 11, 10))  # same day, recorded later
    assert saved_answers(db, [hid]) == {hid: {"housing": "no_or_d"}}
    latest = latest_answers(db, [hid])[hid]["housing"]
    assert latest.answered_by == "王村长" and latest.answered_on == date(2026, 11, 10)


def test_voiding_withdraws_an_answer(db: Database, village: str) -> None:
    hid = make_household(db, village, danger_grade=None)
    answer(db, hid, "housing", "b", date(2026, 11, 1))
    newest = answer(db, hid, "housing", "c", date(2026, 11, 2))
    with db.unit_of_work() as uow:
        uow.void("score_answer", newest, "选错了")
    assert saved_answers(db) == {hid: {"housing": "b"}}  # the earlier answer stands again
    with db.unit_of_work() as uow:
        assert withdraw_score_answer(uow, hid, "housing", "数据已补录") == 1
    assert saved_answers(db) == {}
    assert housing_line(db, hid) == (None, False, 0.0)
    with db.unit_of_work() as uow, pytest.raises(ServiceError, match="没有手工评定"):
        withdraw_score_answer(uow, hid, "housing", "再撤一次")


def test_unknown_indicator_or_option_is_refused_and_nothing_written(
    db: Database, village: str
) -> None:
    hid = make_household(db, village)
    with pytest.raises(ServiceError, match="评分表中没有指标“luck”"):
        answer(db, hid, "luck", "a", TODAY)
    with pytest.raises(ServiceError, match="没有选项“z”"):
        answer(db, hid, "housing", "z", TODAY)
    with pytest.raises(NotFound):
        answer(db, "no-such-household", "housing", "a", TODAY)
    # the validator refuses raw inserts that skip the service's lookups
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as refused:
        uow.insert(
            "score_answer",
            {
                "household_id": hid,
                "indicator": "housing",
                "option": "zz",
                "answered_by": "",
                "answered_on": TODAY,
            },
        )
    assert {p.field for p in refused.value.problems} == {"option", "answered_by"}
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM score_answer").scalar() == 0


def test_an_indicator_only_the_data_may_answer_is_refused(
    db: Database, village: str, tmp_path: Path
) -> None:
    path = tmp_path / "rubric.toml"
    path.write_text(
        '[rubric]\nname = "只看数据"\n\n[[indicators]]\ncode = "housing"\nlabel = "看房"\n'
        'weight = 1\nmetric = "house_condition"\nmanual = false\n\n[[indicators.options]]\n'
        'code = "a"\nlabel = "A级"\npoints = 10\nequals = ["A"]\n',
        encoding="utf-8",
    )
    hid = make_household(db, village)
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed, match="只能由数据计算"):
        record_score_answer(uow, hid, "housing", "a", "王", TODAY, rubric=load_rubric(path))


def test_ranking_follows_saved_answers(db: Database, village: str) -> None:
    first = make_household(db, village, danger_grade="B")
    second = make_household(db, village, danger_grade=None)
    assert [s.household_id for s in rank_applicants(db, village, today=TODAY)] == [first, second]
    answer(db, second, "housing", "no_or_d", date(2026, 11, 12))
    ranked = rank_applicants(db, village, today=TODAY)
    assert [s.household_id for s in ranked] == [second, first]
    assert ranked[0].complete
    # an explicit answer for a household overrides its saved one
    ranked = rank_applicants(db, village, answers={second: {"housing": "a"}}, today=TODAY)
    assert [s.household_id for s in ranked] == [first, second]


def test_score_command_records_an_answer(
    db: Database, village: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hid = make_household(db, village, danger_grade=None, members=[adult()])
    with db.read() as conn:
        number = conn.exec_driver_sql("SELECT number FROM household WHERE id=?", (hid,)).scalar()
    common = ["--db", str(tmp_path / "doorstep.db"), "--today", TODAY.isoformat()]
    code, out, _ = run(
        ["score", *common, "--answer", f"{number}:看房=c", "--by", "李书记", "--json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data[0]["breakdown"][0]["option"] == "c"
    assert data[0]["breakdown"][0]["manual"] is True
    assert latest_answers(db)[hid]["housing"].answered_by == "李书记"
    code, _, err = run(["score", *common, "--answer", f"{number}-housing-c"], capsys)
    assert code == 1 and "格式不对" in err
    code, _, err = run(["score", *common, "--answer", f"{number}:housing=zz"], capsys)
    assert code == 1 and "没有选项“zz”" in err
    assert saved_answers(db) == {hid: {"housing": "c"}}


def test_answers_from_two_laptops_merge_to_the_same_latest(tmp_path: Path) -> None:
    county, laptop = open_replicas(tmp_path, 2)
    with county.unit_of_work() as uow:
        seed_regions(uow)
    (hid,) = seed_households(county, 1)
    ship(county, laptop)
    answer(county, hid, "housing", "b", date(2026, 11, 3))
    answer(laptop, hid, "housing", "c", date(2026, 11, 3))  # same day, stamped later
    answer(laptop, hid, "grain", "under_half", date(2026, 11, 1))
    ship(laptop, county, [e for e in entries(laptop) if e["device_id"] == laptop.device_id])
    ship(county, laptop, [e for e in entries(county) if e["device_id"] == county.device_id])
    for db in (county, laptop):
        assert saved_answers(db) == {hid: {"housing": "c", "grain": "under_half"}}
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM score_answer").scalar() == 3
    county.close()
    laptop.close()
