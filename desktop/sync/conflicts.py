"""Listing and resolving conflicts: two laptops changed one field without seeing each other.

The merge already applied the winner (last writer); a person looks at both values side by side
and decides. The decision is itself a change (op ``resolve``) that travels like any other, and a
conflict counts as resolved on every replica once a resolve change made after seeing both sides
has arrived there (:func:`desktop.sync.merge.settle_resolutions`), so the state converges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from desktop.core.codec import encode
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import NotFound, ServiceError
from desktop.sync.merge import (
    raw_cursor,
    refresh_summary_raw,
    scan_local_conflicts_in,
    settle_resolutions,
)
from desktop.sync.values import field_value


@dataclass(frozen=True)
class ConflictView:
    """One conflict as the sync window shows it."""

    id: str
    table: str
    row_id: str
    household_id: str | None
    field: str
    winner_value: Any
    winner_device: str
    winner_cadre: str
    winner_hlc: str
    loser_value: Any
    loser_device: str
    loser_cadre: str
    loser_hlc: str
    current_value: Any
    resolved_by_change: str | None

    @property
    def resolved(self) -> bool:
        return self.resolved_by_change is not None


def _decoded(table: str, field: str, raw: str | None) -> Any:
    try:
        return field_value(table, field, raw)
    except ValueError:
        return json.loads(raw) if raw else None


def list_conflicts(
    db: Database, household_id: str | None = None, include_resolved: bool = False
) -> list[ConflictView]:
    """Conflicts, newest first; by default only those still waiting for a decision."""
    with db.unit_of_work() as uow:  # a local scan first, so our own stale edits show up too
        scan_local_conflicts_in(uow, raw_cursor(uow))
    query = "SELECT * FROM conflict WHERE 1 = 1"
    params: dict[str, Any] = {}
    if household_id is not None:
        query += " AND household_id = :h"
        params["h"] = household_id
    if not include_resolved:
        query += " AND resolved_by_change IS NULL"
    query += " ORDER BY winner_hlc DESC, id"
    views = []
    with db.read() as conn:
        for row in conn.execute(text(query), params).mappings():
            current = conn.execute(
                text(f"SELECT {row['field']} FROM {row['tbl']} WHERE id = :id"),
                {"id": row["row_id"]},
            ).scalar()
            views.append(
                ConflictView(
                    id=row["id"],
                    table=row["tbl"],
                    row_id=row["row_id"],
                    household_id=row["household_id"],
                    field=row["field"],
                    winner_value=_decoded(row["tbl"], row["field"], row["winner_value"]),
                    winner_device=row["winner_device"],
                    winner_cadre=row["winner_cadre"],
                    winner_hlc=row["winner_hlc"],
                    loser_value=_decoded(row["tbl"], row["field"], row["loser_value"]),
                    loser_device=row["loser_device"],
                    loser_cadre=row["loser_cadre"],
                    loser_hlc=row["loser_hlc"],
                    current_value=current,
                    resolved_by_change=row["resolved_by_change"],
                )
            )
    return views


def resolve_conflict(
    db: Database,
    conflict: str,
    value: Any,
    cadre: str | None = None,
    *,
    accept_warnings: bool = True,
) -> str:
    """Settle a conflict with ``value`` (either side's or a new one); returns the change id.

    The value is written through the unit of work (validated like any edit) and logged with op
    ``resolve``, even when it equals what the field already holds: the decision must travel.

    Errors always refuse the value. Warnings (an ID number that disagrees with the gender, a
    repeated poverty cause) are the cadre's call: with ``accept_warnings=False`` such a value
    is refused with ``ValidationFailed`` carrying only warnings and nothing is written, so
    the conflict window can show them and ask; once the cadre confirms, the same call with
    ``accept_warnings=True`` (the default, for callers with no one to ask) saves it.
    """
    with db.unit_of_work(cadre=cadre, accept_warnings=accept_warnings) as uow:
        cur = raw_cursor(uow)
        row = cur.execute(
            "SELECT tbl, row_id, field, resolved_by_change FROM conflict WHERE id = ?",
            (conflict,),
        ).fetchone()
        if row is None:
            raise NotFound(_("找不到这条冲突记录，可能已被删除。"))
        table, row_id, name, _resolved = row
        before = len(uow._log)
        changed = uow.update(table, row_id, {name: value})
        if not changed:
            current = uow.get(table, row_id)
            stamp = uow.stamps(table, row_id)[name]
            hlc = uow.clock.now()
            household = row_id if table == "household" else current.get("household_id")
            uow._log.append(
                uow._entry(
                    table, row_id, household, name, encode(current[name]), hlc, stamp, "resolve"
                )
            )
            uow.set_stamp(table, row_id, name, hlc)
        new_entries = uow._log[before:]
        for entry in new_entries:
            entry["op"] = "resolve"
        change_id = next(e["change_id"] for e in new_entries if e["field"] == name)
        uow.flush_log()
        settle_resolutions(cur, table, row_id, name)
        if table == "member":  # a head's name or a member's status may have changed
            refresh_summary_raw(uow, uow.get("member", row_id)["household_id"])
        done = cur.execute(
            "SELECT resolved_by_change FROM conflict WHERE id = ?", (conflict,)
        ).fetchone()[0]
        if done is None:
            raise ServiceError(_("无法处理这条冲突，请稍后再试。"))
    return str(change_id)
