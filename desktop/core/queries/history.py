"""变更历史: the audit trail of one household, read from the change log.

Every write leaves field-level entries (who, when, which laptop, old stamp, new value), so the
history needs no separate table; this module only turns entries into sentences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.core import codec
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.queries.labels import display_value, field_label, table_label

OP_LABELS = {"insert": "新增", "update": "修改", "void": "作废"}


@dataclass(frozen=True)
class HistoryEntry:
    recorded_at: str
    cadre: str
    device_id: str
    this_device: bool
    table: str
    row_id: str
    what: str  # e.g. "成员 张三"
    field: str
    field_label: str
    value: str
    op: str
    op_label: str
    hlc: str
    synced: bool


def _row_names(db: Database, household_id: str) -> dict[str, str]:
    """Readable names for the rows of this household (member names, visit dates...)."""
    names: dict[str, str] = {}
    with db.read() as conn:
        for row_id, name in conn.exec_driver_sql(
            "SELECT id, name FROM member WHERE household_id = ?", (household_id,)
        ):
            names[row_id] = name
        for row_id, name in conn.exec_driver_sql("SELECT id, name FROM helper"):
            names[row_id] = name
        for row_id, day in conn.exec_driver_sql(
            "SELECT id, visit_date FROM visit WHERE household_id = ?", (household_id,)
        ):
            names[row_id] = str(day)
        for row_id, measure in conn.exec_driver_sql(
            "SELECT id, measure FROM commitment WHERE household_id = ?", (household_id,)
        ):
            names[row_id] = display_value("commitment", "measure", measure)
        for row_id, year in conn.exec_driver_sql(
            "SELECT id, year FROM income WHERE household_id = ?", (household_id,)
        ):
            names[row_id] = _("{year}年").format(year=year)
    return names


def _value_text(table: str, field: str, raw: str | None, names: dict[str, str]) -> str:
    if field == "*":
        return ""
    try:
        value = codec.decode_field(table, field, raw)
    except Exception:  # an entry from a newer schema: show it as it came
        return raw or ""
    if field.endswith("_id") and isinstance(value, str):
        return names.get(value, value)
    return display_value(table, field, value)


def _inserted_name(table: str, raw: str | None) -> str:
    """What a new row is called, from the row itself (it may since have changed)."""
    if not raw:
        return ""
    data = json.loads(raw)
    for key in ("name", "number", "visit_date", "year"):
        if data.get(key):
            return str(data[key])
    if data.get("measure"):
        return display_value(table, "measure", data["measure"])
    return ""


def history(db: Database, household_id: str, limit: int = 1000) -> list[HistoryEntry]:
    """Newest first. Inserts show as one line; updates as one line per field."""
    names = _row_names(db, household_id)
    with db.read() as conn:
        device = conn.exec_driver_sql("SELECT device_id FROM device_state WHERE id = 1").scalar()
        rows = conn.exec_driver_sql(
            "SELECT recorded_at, cadre, device_id, tbl, row_id, field, value, op, hlc, "
            "server_seq, acked FROM change_log WHERE household_id = ? "
            "ORDER BY hlc DESC, seq DESC LIMIT ?",
            (household_id, limit),
        ).all()
    entries = []
    for recorded, cadre, dev, table, row_id, fld, value, op, hlc, server_seq, acked in rows:
        name = names.get(row_id, "")
        if fld == "*" and not name:
            name = _inserted_name(table, value)
        what = f"{table_label(table)} {name}".strip()
        entries.append(
            HistoryEntry(
                recorded_at=recorded,
                cadre=cadre,
                device_id=dev,
                this_device=dev == device,
                table=table,
                row_id=row_id,
                what=what,
                field=fld,
                field_label="" if fld == "*" else field_label(table, fld),
                value=_value_text(table, fld, value, names),
                op=op,
                op_label=_(OP_LABELS.get(op, op)),
                hlc=hlc,
                synced=bool(acked) or server_seq is not None,
            )
        )
    return entries
