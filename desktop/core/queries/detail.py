"""Everything the household view shows, read in one short transaction.

Values come back typed (dates as ``date``) through the table models, and the household's field
stamps come with them: they are the ``base`` an edit is made against, so a concurrent edit on
another laptop is recognised as a conflict when bundles meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.models import SYNCED, FieldStamp
from desktop.core.services.errors import NotFound


@dataclass
class HouseholdDetail:
    household: dict[str, Any]
    stamps: dict[str, str]
    members: list[dict[str, Any]]
    incomes: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    photos: list[dict[str, Any]]
    helpers: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    region_names: dict[str, str] = field(default_factory=dict)

    @property
    def current_members(self) -> list[dict[str, Any]]:
        return [m for m in self.members if not m["left_reason"]]

    def overdue_commitments(self, today: date | None = None) -> list[dict[str, Any]]:
        day = today or date.today()
        return [c for c in self.commitments if is_overdue(c, day)]


def is_overdue(commitment: dict[str, Any], today: date) -> bool:
    due = commitment.get("due_date")
    return (
        commitment.get("status") in ("planned", "in_progress") and due is not None and due < today
    )


def _rows(conn: Connection, table: str, household_id: str, order: Any) -> list[dict[str, Any]]:
    t = SYNCED[table].__table__  # type: ignore[attr-defined]
    query = (
        select(t).where(t.c.household_id == household_id, t.c.voided.is_(False)).order_by(*order)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def stamps_of(conn: Connection, table: str, row: dict[str, Any]) -> dict[str, str]:
    stamps = {name: row["created_hlc"] for name in SYNCED[table].model_fields}
    query = select(FieldStamp.field, FieldStamp.hlc).where(  # type: ignore[call-overload]
        FieldStamp.tbl == table, FieldStamp.row_id == row["id"]
    )
    for name, hlc in conn.execute(query):
        stamps[name] = hlc
    return stamps


def household_detail(db: Database, household_id: str) -> HouseholdDetail:
    with db.read() as conn, conn.begin():
        ht = SYNCED["household"].__table__  # type: ignore[attr-defined]
        found = conn.execute(select(ht).where(ht.c.id == household_id)).mappings().first()
        if found is None:
            raise NotFound(_("找不到这一户（{id}）。").format(id=household_id))
        household = dict(found)
        members = _rows(conn, "member", household_id, [SYNCED["member"].sort_order])  # type: ignore[attr-defined]
        for member in members:
            member["stamps"] = stamps_of(conn, "member", member)
        incomes = _rows(conn, "income", household_id, [SYNCED["income"].year.desc()])  # type: ignore[attr-defined]
        commitments = _rows(conn, "commitment", household_id, [SYNCED["commitment"].due_date])  # type: ignore[attr-defined]
        visits = _rows(conn, "visit", household_id, [SYNCED["visit"].visit_date.desc()])  # type: ignore[attr-defined]
        photos = _rows(conn, "photo", household_id, [SYNCED["photo"].taken_at])  # type: ignore[attr-defined]
        helper_names = {
            r[0]: (r[1], r[2] or "", r[3] or "")
            for r in conn.exec_driver_sql("SELECT id, name, unit, phone FROM helper")
        }
        helpers = [
            dict(r)
            for r in conn.exec_driver_sql(
                "SELECT a.id, a.helper_id, a.start_date, a.end_date FROM helper_assignment a "
                "WHERE a.household_id = ? AND a.voided = 0 ORDER BY a.start_date DESC",
                (household_id,),
            ).mappings()
        ]
        for line in helpers:
            name, unit, phone = helper_names.get(line["helper_id"], ("", "", ""))
            line.update(name=name, unit=unit, phone=phone)
        for row in commitments + visits:
            row["helper_name"] = helper_names.get(row.get("helper_id") or "", ("",))[0]
        photo_counts: dict[str, int] = {}
        for photo in photos:
            photo_counts[photo["owner_id"]] = photo_counts.get(photo["owner_id"], 0) + 1
        for visit in visits:
            visit["photo_count"] = photo_counts.get(visit["id"], 0)
        findings = [
            dict(r)
            for r in conn.exec_driver_sql(
                "SELECT rule, severity, field, member_id, message FROM finding "
                "WHERE household_id = ? ORDER BY severity, rule",
                (household_id,),
            ).mappings()
        ]
        codes = [household["township_code"], household["village_code"], household["group_code"]]
        names = {
            r[0]: r[1]
            for r in conn.exec_driver_sql(
                "SELECT code, name FROM region WHERE code IN (?, ?, ?)",
                tuple(c or "" for c in codes),
            )
        }
        return HouseholdDetail(
            household=household,
            stamps=stamps_of(conn, "household", household),
            members=members,
            incomes=incomes,
            commitments=commitments,
            visits=visits,
            photos=photos,
            helpers=helpers,
            findings=findings,
            region_names=names,
        )
