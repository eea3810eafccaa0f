"""Conflicts read for the screen (on the worker): who, what, both values, devices, cadres, times.

The sync services keep values as stored; here they become what a cadre reads — code labels,
是/否, the household's number and head, a member's name, the stamp's wall-clock time.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.models import SYNCED
from desktop.core.queries.labels import code_kind, display_value, field_label, table_label
from desktop.sync.conflicts import ConflictView, list_conflicts


def stamp_time(stamp: str) -> str:
    """The local wall-clock time in a hybrid-clock stamp ("{ms:013d}.{counter}.{device}")."""
    try:
        millis = int(stamp.split(".", 1)[0])
    except (ValueError, AttributeError):
        return ""
    return datetime.fromtimestamp(millis / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def field_kind(table: str, field: str) -> str:
    """The form kind (see ``desktop.ui.forms.FieldSpec``) for typing a new value of a field."""
    kind = code_kind(table, field)
    if kind is not None:
        return f"code:{kind}"
    info = SYNCED[table].model_fields.get(field)
    annotation: Any = info.annotation if info is not None else str
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else str
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if annotation is date:
        return "date"
    return "text"


def _names(db: Database, views: list[ConflictView]) -> tuple[dict[str, str], dict[str, str]]:
    households = {v.household_id for v in views if v.household_id}
    members = {v.row_id for v in views if v.table == "member"}
    house_names: dict[str, str] = {}
    member_names: dict[str, str] = {}
    with db.read() as conn:
        for household_id in households:
            row = conn.execute(
                text("SELECT number, head_name FROM household WHERE id = :i"), {"i": household_id}
            ).first()
            if row is not None:
                house_names[household_id] = f"{row.head_name or ''} {row.number}".strip()
        for member_id in members:
            name = conn.execute(
                text("SELECT name FROM member WHERE id = :i"), {"i": member_id}
            ).scalar()
            if name:
                member_names[member_id] = str(name)
    return house_names, member_names


def device_text(device: str, this_device: str) -> str:
    return _("本机") if device == this_device else device[:8]


def conflict_rows(db: Database) -> list[dict[str, Any]]:
    """Open conflicts, newest first, as rows for the conflict table and the side-by-side view."""
    views = list_conflicts(db)
    house_names, member_names = _names(db, views)
    me = db.device_id
    rows = []
    for v in views:
        what = table_label(v.table)
        if v.table == "member" and v.row_id in member_names:
            what = f"{what}（{member_names[v.row_id]}）"
        rows.append(
            {
                "id": v.id,
                "table": v.table,
                "row_id": v.row_id,
                "field": v.field,
                "household_id": v.household_id,
                "household": house_names.get(v.household_id or "", ""),
                "what": what,
                "field_label": field_label(v.table, v.field),
                "kind": field_kind(v.table, v.field),
                "winner_value": v.winner_value,
                "winner_text": display_value(v.table, v.field, v.winner_value) or _("（空）"),
                "winner_device": device_text(v.winner_device, me),
                "winner_cadre": v.winner_cadre or _("（未登记）"),
                "winner_time": stamp_time(v.winner_hlc),
                "loser_value": v.loser_value,
                "loser_text": display_value(v.table, v.field, v.loser_value) or _("（空）"),
                "loser_device": device_text(v.loser_device, me),
                "loser_cadre": v.loser_cadre or _("（未登记）"),
                "loser_time": stamp_time(v.loser_hlc),
            }
        )
    return rows
