"""Households built for the targeting tests: each test states only what it is about."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from desktop.core.database import Database
from desktop.core.rules import idnumber
from desktop.core.services import households as hs
from desktop.core.services import visits

TODAY = date(2026, 11, 20)
_serial = itertools.count(1)
_numbers = itertools.count(1)


def make_id(birth: date, male: bool = True) -> str:
    serial = next(_serial)
    first17 = f"520102{birth:%Y%m%d}{(serial * 2 + (1 if male else 0)) % 1000:03d}"
    return first17 + idnumber.check_digit(first17)


def adult(name: str = "张三", relation: str = "head", **values: Any) -> dict[str, Any]:
    member = {
        "name": name,
        "relation": relation,
        "id_number": make_id(date(1980, 3, 4), male=relation != "spouse"),
        "ethnicity": "01",
        "education": "junior",
        "school_status": "not_in_school",
        "health": "healthy",
        "labour": "ordinary",
        "medical_insurance": True,
    }
    member.update(values)
    return member


def child(name: str = "张小", age: int = 10, **values: Any) -> dict[str, Any]:
    birth = date(TODAY.year - age, 1, 15)
    member = {
        "name": name,
        "relation": "son",
        "id_number": make_id(birth),
        "ethnicity": "01",
        "education": "primary",
        "school_status": "primary",
        "health": "healthy",
        "labour": "none",
        "medical_insurance": True,
    }
    member.update(values)
    return member


def make_household(
    db: Database,
    village: str,
    *,
    members: list[dict[str, Any]] | None = None,
    incomes: dict[int, dict[str, float]] | None = None,
    visit: dict[str, Any] | None = None,
    commitments: list[dict[str, Any]] | None = None,
    **values: Any,
) -> str:
    """A household of ``village`` (status identifying unless given) with decent, safe data."""
    household = {
        "number": f"52010200100101{next(_numbers):04d}",
        "county_code": "520102000000",
        "township_code": "520102001000",
        "village_code": village,
        "status": "identifying",
        "housing_area": 80.0,
        "housing_structure": "brick_wood",
        "built_year": 2005,
        "danger_grade": "A",
        "water_safe": True,
        "land_cultivated": 3.0,
    }
    household.update(values)
    with db.unit_of_work(cadre="测试员") as uow:
        household_id = hs.create_household(uow, household, members or [adult()])
        for year, items in (incomes or {}).items():
            hs.save_income(uow, household_id, year, items)
        if visit is not None:
            full = {
                "visit_date": date(2026, 11, 1),
                "food_ok": True,
                "clothing_ok": True,
                "education_ok": True,
                "medical_ok": True,
                "housing_ok": True,
                "water_ok": True,
            }
            full.update(visit)
            visits.record_visit(uow, household_id, full)
        for commitment in commitments or []:
            visits.add_commitment(uow, household_id, commitment)
    return household_id
