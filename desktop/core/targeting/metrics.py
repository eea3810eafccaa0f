"""Quantities derived from a household's data that the rubric and the flags read.

Named here once so a county's rubric file can say ``metric = "land_per_person"`` and mean the same
thing the flags and the exit checklist mean. Each metric returns None when the data is missing,
so a blank is reported as "not known" instead of being scored as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from desktop.core.rules.income import net_income
from desktop.core.targeting.facts import HouseholdFacts, age

LABOUR_CODES = frozenset({"ordinary", "skilled"})
NOT_STUDYING = frozenset({"not_in_school", "preschool"})


def people(facts: HouseholdFacts) -> int:
    return len(facts.members) or int(facts.household.get("size") or 0)


def per_capita_income(facts: HouseholdFacts, year: int | None = None) -> float | None:
    """Per-capita net income of ``year`` (default: the latest year on file)."""
    if not facts.incomes:
        return None
    year = year if year is not None else max(facts.incomes)
    key = ("per_capita", year)
    if key not in facts.memo:
        items = facts.incomes.get(year)
        size = people(facts)
        facts.memo[key] = None if items is None or size <= 0 else round(net_income(items) / size, 2)
    return facts.memo[key]  # type: ignore[no-any-return]


def house_condition(facts: HouseholdFacts, today: date) -> str | None:
    """'none' (no house), else the safety grade A–D; None when neither is recorded."""
    area = facts.household.get("housing_area")
    if area is not None and float(area) == 0:
        return "none"
    grade = facts.household.get("danger_grade")
    return str(grade) if grade else None


def house_area_per_person(facts: HouseholdFacts, today: date) -> float | None:
    area, size = facts.household.get("housing_area"), people(facts)
    return round(float(area) / size, 2) if area is not None and size > 0 else None


def land_per_person(facts: HouseholdFacts, today: date) -> float | None:
    land, size = facts.household.get("land_cultivated"), people(facts)
    return round(float(land) / size, 2) if land is not None and size > 0 else None


def labour_share(facts: HouseholdFacts, today: date) -> float | None:
    """Share of current members who are ordinary or skilled labour (a blank counts as not)."""
    if not facts.members:
        return None
    return round(
        sum(m.get("labour") in LABOUR_CODES for m in facts.members) / len(facts.members), 3
    )


def labourers(facts: HouseholdFacts, today: date) -> float | None:
    return float(sum(m.get("labour") in LABOUR_CODES for m in facts.members))


def sick_or_disabled(facts: HouseholdFacts, today: date) -> float | None:
    return float(sum(m.get("health") in ("serious", "disabled") for m in facts.members))


def students(facts: HouseholdFacts, today: date) -> float | None:
    return float(
        sum(
            bool(m.get("school_status")) and m["school_status"] not in NOT_STUDYING
            for m in facts.members
        )
    )


def out_of_school_children(
    facts: HouseholdFacts, today: date, ages: tuple[int, int] = (6, 15)
) -> list[dict[str, Any]]:
    """Members of compulsory-school age marked 非在校生."""
    found = []
    for member in facts.members:
        years = age(member, today)
        if (
            years is not None
            and ages[0] <= years <= ages[1]
            and member.get("school_status") == "not_in_school"
        ):
            found.append(member)
    return found


def children_out_of_school(facts: HouseholdFacts, today: date) -> float | None:
    return float(len(out_of_school_children(facts, today)))


def income_per_person(facts: HouseholdFacts, today: date) -> float | None:
    return per_capita_income(facts)


Metric = Callable[[HouseholdFacts, date], float | str | None]

METRICS: dict[str, Metric] = {
    "house_condition": house_condition,
    "house_area_per_person": house_area_per_person,
    "land_per_person": land_per_person,
    "labour_share": labour_share,
    "labourers": labourers,
    "sick_or_disabled": sick_or_disabled,
    "students": students,
    "children_out_of_school": children_out_of_school,
    "income_per_person": income_per_person,
}
#: Metrics whose values are codes (matched with ``equals``); the rest are numbers (min/max).
TEXT_METRICS = frozenset({"house_condition"})
