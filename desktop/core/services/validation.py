"""Domain rules that run on every write, through ``register_validator``.

The unit of work only knows types; these know what a valid ID number, phone, code or amount is.
Errors block the save (nothing is written); warnings are collected and shown to the cadre.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules import idnumber, validators
from desktop.core.services.errors import FieldProblem
from desktop.core.services.uow import UnitOfWork, register_validator

CODE_FIELDS: dict[str, dict[str, str]] = {
    "household": {
        "standard": "standard",
        "category": "category",
        "main_cause": "cause",
        "other_cause_1": "cause",
        "other_cause_2": "cause",
        "status": "household_status",
        "monitoring_kind": "monitoring_kind",
        "risk_type": "monitoring_risk",
        "housing_structure": "housing_structure",
        "danger_grade": "danger_grade",
        "water_source": "water_source",
        "fuel": "fuel",
        "road_type": "road_type",
    },
    "member": {
        "gender": "gender",
        "relation": "relation",
        "ethnicity": "ethnicity",
        "education": "education",
        "school_status": "school_status",
        "health": "health",
        "labour": "labour",
        "work_status": "work_status",
        "left_reason": "left_reason",
    },
    "helper": {"level": "helper_level"},
    "commitment": {
        "category": "assistance_category",
        "measure": "assistance_measure",
        "status": "commitment_status",
        "fund_source": "fund_source",
    },
    "visit": {"purpose": "visit_purpose"},
    "step_record": {"outcome": "step_outcome"},
}

NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "household": (
        "housing_area",
        "road_distance_km",
        "land_cultivated",
        "land_irrigated",
        "land_paddy",
        "land_dry",
        "land_forest",
        "land_orchard",
        "land_water_surface",
        "land_pasture",
        "land_returned_forest",
    ),
    "income": ("wage", "business", "property", "business_cost"),
    "commitment": ("amount",),
    "step_record": ("votes_for", "votes_against", "votes_abstain"),
}

MAX_FUTURE = timedelta(days=1)


def _codes_ok(table: str, row: dict[str, Any]) -> list[FieldProblem]:
    problems = []
    for name, kind in CODE_FIELDS.get(table, {}).items():
        value = row.get(name)
        if value not in (None, "") and not codes.is_valid(kind, value):
            problems.append(
                FieldProblem(
                    name,
                    _("“{value}”不是有效的{kind}。").format(
                        value=value, kind=codes.kind_label(kind)
                    ),
                    code="code.unknown",
                )
            )
    return problems


def _ranges_ok(table: str, row: dict[str, Any]) -> list[FieldProblem]:
    return [
        FieldProblem(name, _("不能是负数。"), code="range.negative")
        for name in NON_NEGATIVE.get(table, ())
        if row.get(name) is not None and row[name] < 0
    ]


def _not_future(field: str, value: date | None) -> list[FieldProblem]:
    if value is not None and value > date.today() + MAX_FUTURE:
        return [FieldProblem(field, _("日期不能晚于今天。"), code="date.future")]
    return []


def _from_problems(field: str, problems: list[Any]) -> list[FieldProblem]:
    return [FieldProblem(field, p.message, p.severity, p.code) for p in problems]


def check_common(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    return _codes_ok(table, row) + _ranges_ok(table, row)


def check_member(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not (row.get("name") or "").strip():
        problems.append(FieldProblem("name", _("请填写姓名。"), code="member.name"))
    number = row.get("id_number")
    if number:
        problems += _from_problems("id_number", idnumber.validate_id(number))
        if not any(p.severity == "error" for p in problems if p.field == "id_number"):
            problems += _from_problems(
                "id_number",
                [
                    p.__class__(p.code, p.message, "warning")
                    for p in idnumber.compare_with_entered(
                        number, row.get("gender"), row.get("birth_date")
                    )
                ],
            )
    months = row.get("work_months")
    if months is not None and not 0 <= months <= 12:
        problems.append(
            FieldProblem(
                "work_months", _("务工时间应在 0 到 12 个月之间。"), code="member.work_months"
            )
        )
    if row.get("phone"):
        problems += _from_problems("phone", validators.validate_phone(row["phone"]).problems)
    if row.get("left_reason") and not row.get("left_date"):
        problems.append(FieldProblem("left_date", _("请填写减员日期。"), code="member.left_date"))
    problems += _not_future("birth_date", row.get("birth_date"))
    problems += _not_future("left_date", row.get("left_date"))
    return problems


def check_household(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not (row.get("number") or "").strip():
        problems.append(FieldProblem("number", _("请填写户编号。"), code="household.number"))
    if not (row.get("village_code") or "").strip():
        problems.append(FieldProblem("village_code", _("请选择行政村。"), code="household.village"))
    if row.get("phone"):
        problems += _from_problems("phone", validators.validate_phone(row["phone"]).problems)
    if row.get("bank_account"):
        problems += _from_problems(
            "bank_account", validators.validate_bank_account(row["bank_account"]).problems
        )
    causes = [row.get("main_cause"), row.get("other_cause_1"), row.get("other_cause_2")]
    if row.get("main_cause") and row.get("main_cause") in causes[1:]:
        problems.append(
            FieldProblem(
                "other_cause_1",
                _("其他致贫原因不能与主要致贫原因相同。"),
                "warning",
                "household.cause_repeat",
            )
        )
    if row.get("built_year") is not None and not 1900 <= row["built_year"] <= date.today().year:
        problems.append(
            FieldProblem("built_year", _("建房年份不合理。"), code="household.built_year")
        )
    return problems


def check_income(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    if not 2000 <= row["year"] <= date.today().year + 1:
        return [FieldProblem("year", _("年度不合理。"), code="income.year")]
    return []


def check_commitment(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if row.get("status") == "delivered" and not row.get("delivered_date"):
        problems.append(
            FieldProblem(
                "delivered_date",
                _("已兑现的措施请填写兑现日期。"),
                code="commitment.delivered_date",
            )
        )
    problems += _not_future("delivered_date", row.get("delivered_date"))
    measure = codes.get("assistance_measure", row.get("measure"))
    if measure is not None and measure.attrs.get("category") not in (None, row.get("category")):
        problems.append(
            FieldProblem("measure", _("帮扶措施与类别不符。"), code="commitment.measure_category")
        )
    return problems


def check_visit(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    return _not_future("visit_date", row.get("visit_date"))


def check_step(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    problems = _not_future("step_date", row.get("step_date"))
    if (
        row.get("notice_start")
        and row.get("notice_end")
        and row["notice_end"] < row["notice_start"]
    ):
        problems.append(
            FieldProblem("notice_end", _("公示结束日期早于开始日期。"), code="step.notice_dates")
        )
    return problems


def check_helper(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    problems = []
    if not (row.get("name") or "").strip():
        problems.append(FieldProblem("name", _("请填写帮扶责任人姓名。"), code="helper.name"))
    if row.get("phone"):
        problems += _from_problems("phone", validators.validate_phone(row["phone"]).problems)
    return problems


def install() -> None:
    for table in CODE_FIELDS.keys() | NON_NEGATIVE.keys():
        register_validator(table, check_common)
    register_validator("member", check_member)
    register_validator("household", check_household)
    register_validator("income", check_income)
    register_validator("commitment", check_commitment)
    register_validator("visit", check_visit)
    register_validator("step_record", check_step)
    register_validator("helper", check_helper)


install()
