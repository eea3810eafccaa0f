"""Household and member operations the GUI, imports and the demo share.

They wrap the unit of work so the denormalised household columns (head, size) always agree with
the members, and so a member who leaves is marked, never removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text

from desktop.core.i18n import _
from desktop.core.rules import idnumber
from desktop.core.services.errors import FieldProblem, ServiceError, ValidationFailed
from desktop.core.services.uow import UnitOfWork

HEAD = "head"


def fill_from_id_number(values: dict[str, Any]) -> dict[str, Any]:
    """Birth date and gender follow from a valid ID number when the form left them blank."""
    number = values.get("id_number")
    if number and not idnumber.validate_id(number):
        values.setdefault("birth_date", None)
        values.setdefault("gender", None)
        if values["birth_date"] is None:
            values["birth_date"] = idnumber.birth_date_of(number)
        if values["gender"] is None:
            values["gender"] = idnumber.gender_of(number)
    return values


def create_household(
    uow: UnitOfWork, values: Mapping[str, Any], members: Sequence[Mapping[str, Any]] = ()
) -> str:
    """A new household with its members; the member whose relation is 户主 becomes the head."""
    household_id = uow.insert("household", dict(values))
    for order, member in enumerate(members):
        data = fill_from_id_number({**member, "household_id": household_id})
        data.setdefault("sort_order", order)
        uow.insert("member", data)
    refresh_summary(uow, household_id)
    return household_id


def add_member(uow: UnitOfWork, household_id: str, values: Mapping[str, Any]) -> str:
    data = fill_from_id_number({**values, "household_id": household_id})
    _refuse_duplicate_id(uow, data.get("id_number"), None)
    member_id = uow.insert("member", data)
    refresh_summary(uow, household_id)
    return member_id


def update_member(
    uow: UnitOfWork,
    member_id: str,
    values: Mapping[str, Any],
    base: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    if "id_number" in values:
        _refuse_duplicate_id(uow, values.get("id_number"), member_id)
    changed = uow.update("member", member_id, values, base)
    if changed:
        refresh_summary(uow, uow.get("member", member_id)["household_id"])
    return changed


def member_leaves(uow: UnitOfWork, member_id: str, reason: str, when: date) -> None:
    """死亡 / 迁出 / 婚出: the member stays on record with the reason and date."""
    uow.update("member", member_id, {"left_reason": reason, "left_date": when})
    refresh_summary(uow, uow.get("member", member_id)["household_id"])


def set_head(uow: UnitOfWork, household_id: str, member_id: str) -> None:
    member = uow.get("member", member_id)
    if member["household_id"] != household_id or member["left_reason"] or member["voided"]:
        raise ServiceError(_("只能选择本户的在册成员作为户主。"))
    for other in current_members(uow, household_id):
        if other["id"] != member_id and other["relation"] == HEAD:
            uow.update("member", other["id"], {"relation": "other"})
    uow.update("member", member_id, {"relation": HEAD})
    refresh_summary(uow, household_id)


def current_members(uow: UnitOfWork, household_id: str) -> list[dict[str, Any]]:
    rows = uow.connection.execute(
        text(
            "SELECT * FROM member WHERE household_id = :h AND voided = 0 AND left_reason IS NULL "
            "ORDER BY sort_order, rowid"
        ),
        {"h": household_id},
    )
    return [dict(r) for r in rows.mappings()]


def refresh_summary(uow: UnitOfWork, household_id: str) -> None:
    """Keep head_member_id, head_name and size equal to what the members say."""
    members = current_members(uow, household_id)
    head = next((m for m in members if m["relation"] == HEAD), None)
    values = {
        "size": len(members),
        "head_member_id": head["id"] if head else None,
        "head_name": head["name"] if head else "",
    }
    current = uow.get("household", household_id)
    if any(current[k] != v for k, v in values.items()):
        uow.update("household", household_id, values)


def save_income(uow: UnitOfWork, household_id: str, year: int, items: Mapping[str, Any]) -> str:
    """Insert or update the household's income for a year (one row per year)."""
    found = uow.connection.execute(
        text("SELECT id FROM income WHERE household_id = :h AND year = :y AND voided = 0"),
        {"h": household_id, "y": year},
    ).first()
    if found is None:
        return uow.insert("income", {**items, "household_id": household_id, "year": year})
    uow.update("income", found[0], dict(items))
    return str(found[0])


def assign_helper(uow: UnitOfWork, household_id: str, helper_id: str, start: date) -> str:
    """A new dated line: helper history is kept, never overwritten (不脱贫不脱钩)."""
    return uow.insert(
        "helper_assignment",
        {"household_id": household_id, "helper_id": helper_id, "start_date": start},
    )


def _refuse_duplicate_id(uow: UnitOfWork, number: str | None, member_id: str | None) -> None:
    if not number:
        return
    clash = uow.connection.execute(
        text(
            "SELECT m.name, h.number FROM member m JOIN household h ON h.id = m.household_id "
            "WHERE m.id_number = :n AND m.voided = 0 AND m.left_reason IS NULL AND m.id != :me"
        ),
        {"n": number, "me": member_id or ""},
    ).first()
    if clash is not None:
        raise ValidationFailed(
            "member",
            [
                FieldProblem(
                    "id_number",
                    _("身份证号已登记在户 {number} 的成员 {name} 名下，同一人不能在两户。").format(
                        number=clash[1], name=clash[0]
                    ),
                    code="member.duplicate_id",
                )
            ],
        )
