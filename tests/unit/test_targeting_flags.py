"""Eligibility flags (四进七不进), the exit checklist (一出三不出) and the scoring rubric: each
rule on a household built to trigger it and on a near miss that must stay quiet."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from desktop.core.database import Database
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.service import (
    household_exit_checklist,
    household_flags,
    household_score,
    rank_applicants,
)
from tests.unit.targeting_builder import TODAY, adult, child, make_household

RICH = {"wage": 40000.0}  # one person: far above the line and the band
POOR = {"wage": 2000.0}


def flags_of(db: Database, hid: str) -> dict[str, tuple[str, ...]]:
    return {f.code: f.evidence for f in household_flags(db, hid, today=TODAY).flags}


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("in.income_below_line", {"incomes": {2026: POOR}}, {"incomes": {2026: {"wage": 4100.0}}}),
    (
        "in.child_out_of_school",
        {"members": [adult(), child(age=12, school_status="not_in_school")]},
        {"members": [adult(), child(age=16, school_status="not_in_school", labour="ordinary")]},
    ),
    ("in.unsafe_housing", {"danger_grade": "C"}, {"danger_grade": "B"}),
    (
        "in.illness_disability",
        {"members": [adult(health="serious")], "incomes": {2026: {"wage": 5000.0}}},
        {"members": [adult(health="serious")], "incomes": {2026: {"wage": 7000.0}}},
    ),
    (
        "out.high_standard_house",
        {"built_year": 2016, "housing_structure": "concrete", "housing_area": 160.0},
        {"built_year": 2013, "housing_structure": "concrete", "housing_area": 160.0},
    ),
    ("out.car", {"owns_car": True}, {"owns_car": False}),
    ("out.commercial_housing", {"owns_commercial_housing": True}, {}),
    ("out.business", {"runs_business": True}, {"runs_business": None}),
    ("out.public_salaried", {"members": [adult(public_salaried=True)]}, {"members": [adult()]}),
    ("out.village_cadre", {"members": [adult(village_cadre=True)]}, {"members": [adult()]}),
    (
        "out.away_high_income",
        {"away_over_year": True, "incomes": {2026: RICH}},
        {"away_over_year": True, "incomes": {2026: {"wage": 6000.0}}},
    ),
]


@pytest.mark.parametrize(("code", "trigger", "near_miss"), CASES, ids=[c[0] for c in CASES])
def test_flag_fires_with_evidence_and_stays_quiet_on_a_near_miss(
    db: Database, village: str, code: str, trigger: dict[str, Any], near_miss: dict[str, Any]
) -> None:
    raised = flags_of(db, make_household(db, village, **trigger))
    assert code in raised and all(raised[code])
    assert code not in flags_of(db, make_household(db, village, **near_miss))


def test_house_standard_follows_size_per_person(db: Database, village: str) -> None:
    house = {"built_year": 2018, "housing_structure": "concrete", "housing_area": 120.0}
    two = make_household(db, village, members=[adult(), adult("李四", "spouse")], **house)
    five = make_household(
        db,
        village,
        members=[adult(), adult("李四", "spouse"), child(), child("二", 8), child("三", 6)],
        **house,
    )
    assert "out.high_standard_house" in flags_of(db, two)  # 60 m² each
    assert "out.high_standard_house" not in flags_of(db, five)  # 24 m² each, under 150 m²


def test_an_ordinary_household_raises_no_flag(db: Database, village: str) -> None:
    hid = make_household(db, village, incomes={2026: {"wage": 5000.0}})
    assert household_flags(db, hid, today=TODAY).flags == ()


# ----------------------------------------------------------------------------- exit checklist
def ready_household(db: Database, village: str, **values: Any) -> str:
    spec: dict[str, Any] = {
        "status": "poor",
        "identified_year": 2016,
        "incomes": {2025: {"wage": 9000.0}, 2026: {"wage": 9500.0}},
        "visit": {},
    }
    spec.update(values)
    return make_household(db, village, **spec)


def checklist(db: Database, hid: str) -> Any:
    return household_exit_checklist(db, hid, today=TODAY)


def test_a_household_meeting_everything_may_exit(db: Database, village: str) -> None:
    result = checklist(db, ready_household(db, village))
    assert result.ready and result.blockers == ()
    assert [i.code for i in result.items] == [
        "income",
        "food_clothing",
        "education",
        "medical",
        "housing",
        "water",
    ]


@pytest.mark.parametrize(
    ("item", "values", "reason"),
    [
        ("income", {"incomes": {2025: {"wage": 3000.0}, 2026: {"wage": 9000.0}}}, "低于贫困线"),
        ("income", {"incomes": {2026: {"wage": 9000.0}}}, "只有1年的收入记录"),
        ("income", {"incomes": {2023: {"wage": 9000.0}, 2024: {"wage": 9000.0}}}, "缺少2025年"),
        ("food_clothing", {"visit": {"food_ok": False}}, "未达到"),
        (
            "education",
            {"members": [adult(), child(age=11, school_status="not_in_school")]},
            "非在校生",
        ),
        ("medical", {"members": [adult(medical_insurance=False)]}, "未参加基本医疗保险"),
        ("housing", {"danger_grade": "D"}, "D级危房"),
        ("housing", {"housing_area": 0.0}, "无房"),
        ("water", {"water_safe": False}, "饮水不安全"),
        ("water", {"visit": {"water_ok": None}}, "未填写"),
    ],
)
def test_each_unmet_exit_item_says_why(
    db: Database, village: str, item: str, values: dict[str, Any], reason: str
) -> None:
    result = checklist(db, ready_household(db, village, **values))
    found = next(i for i in result.items if i.code == item)
    assert found.met is not True and any(reason in r for r in found.reasons)
    assert not result.ready and result.blockers[0].code == "not_stable"


def test_no_visit_means_not_verified(db: Database, village: str) -> None:
    result = checklist(db, ready_household(db, village, visit=None))
    assert {i.code: i.met for i in result.items}["water"] is None


@pytest.mark.parametrize(
    ("blocker", "values"),
    [
        ("new_or_relapsed", {"identified_year": 2026}),
        ("new_or_relapsed", {"status": "relapsed"}),
        (
            "policies_pending",
            {
                "commitments": [
                    {
                        "category": "industry",
                        "measure": "livestock",
                        "promised": "养牛两头",
                        "status": "in_progress",
                        "due_date": date(2026, 12, 31),
                    }
                ]
            },
        ),
    ],
)
def test_three_not_exit_blockers(
    db: Database, village: str, blocker: str, values: dict[str, Any]
) -> None:
    result = checklist(db, ready_household(db, village, **values))
    assert [b.code for b in result.blockers] == [blocker] and result.blockers[0].reasons
    assert all(i.met for i in result.items) and not result.ready


def test_a_delivered_commitment_does_not_block(db: Database, village: str) -> None:
    hid = ready_household(
        db,
        village,
        commitments=[
            {
                "category": "industry",
                "measure": "livestock",
                "promised": "养牛",
                "status": "delivered",
                "delivered_date": date(2026, 5, 1),
            }
        ],
    )
    assert checklist(db, hid).ready


# ----------------------------------------------------------------------------- scoring
def test_score_breakdown_ranking_and_manual_override(db: Database, village: str) -> None:
    needy = make_household(
        db,
        village,
        danger_grade="D",
        land_cultivated=0.5,
        members=[adult(labour="lost"), child(), child("二", 8), child("三", 14)],
    )
    middling = make_household(
        db, village, danger_grade="B", land_cultivated=2.0, members=[adult(), child()]
    )
    well_off = make_household(
        db,
        village,
        danger_grade="A",
        land_cultivated=10.0,
        members=[adult(), adult("李四", "spouse")],
    )
    make_household(db, village, status="poor")  # not an applicant: not ranked
    score = household_score(db, needy, today=TODAY)
    assert score.total == 100.0 and score.complete
    lines = {line.indicator: line for line in score.breakdown}
    assert lines["housing"].option == "no_or_d" and lines["housing"].weighted == 30.0
    assert lines["grain"].value == 0.12 and lines["labour"].value == 0.0
    assert lines["schooling"].option == "three_plus"
    ranked = rank_applicants(db, village, today=TODAY)
    assert [s.household_id for s in ranked] == [needy, middling, well_off]
    assert [s.rank for s in ranked] == [1, 2, 3]
    overridden = household_score(db, well_off, answers={"housing": "c"}, today=TODAY)
    line = overridden.breakdown[0]
    assert line.manual and line.option == "c" and line.reason == "手工评定"
    assert overridden.total == household_score(db, well_off, today=TODAY).total - 3 + 24
    with pytest.raises(ServiceError, match="没有选项“z”"):
        household_score(db, well_off, answers={"housing": "z"}, today=TODAY)
    with pytest.raises(ServiceError, match="评分表中没有指标"):
        household_score(db, well_off, answers={"luck": "a"}, today=TODAY)


def test_missing_data_leaves_an_indicator_for_a_person(db: Database, village: str) -> None:
    hid = make_household(db, village, danger_grade=None, land_cultivated=None)
    score = household_score(db, hid, today=TODAY)
    assert not score.complete
    assert [line.reason for line in score.breakdown[:2]] == ["缺少数据，需手工评定"] * 2


def test_ties_share_a_rank(db: Database, village: str) -> None:
    a = make_household(db, village)
    b = make_household(db, village)
    ranked = rank_applicants(db, village, today=TODAY)
    assert [s.rank for s in ranked] == [1, 1] and {s.household_id for s in ranked} == {a, b}
