"""Taking changes into the county store: the county's merge, set-based and safe under concurrency.

A batch of change-log entries (one laptop bundle, or changes the county itself made) is checked
and shaped in Python first (:func:`prepare`, no database), then written in the caller's single
transaction (:func:`accept`):

1. ``cell`` — one upsert per (table, row, field), kept only if the stamp is newer
   (``INSERT … ON CONFLICT DO UPDATE … WHERE excluded.hlc > cell.hlc``): last writer wins by
   (hlc, device), in any order, however many servers write at once. An insert keeps the whole
   row in the cell of field ``*`` (the newest insert of a row wins it); a field's value is the
   newer of its own cell and the row's ``*`` cell — the same answer as expanding the insert into
   every field, for a tenth of the writes (:func:`field_values`).
2. ``row_place`` — the household and village of every row the batch created or moved, read back
   from the winning cells; a unique index keeps household numbers and region codes unique, as
   on every laptop.
3. Numbering — a short serialized step at the end: the ``counter`` row is bumped (its row lock is
   held until commit, so numbers are handed out in commit order and a reader's cursor never
   skips a change that commits later), the entries are inserted into ``change_log`` with their
   ``server_seq`` (``change_id`` is unique: a change already held is ignored), and conflicts are
   found among them with exactly the laptops' rule, so every replica records the same ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, select, text, tuple_, update

from county.store import schema
from county.store.sql import chunks, insert, load_rows, upsert_rows
from desktop.core.hlc import FAR_FUTURE_MS, parse_stamp, wall_ms
from desktop.core.models import SYNCED
from desktop.sync.merge import ENTRY_COLUMNS, MergeError, check_entry, conflict_id, derived_field
from desktop.sync.values import BadValue, field_value, row_values

LOG_COLUMNS = tuple(c for c in ENTRY_COLUMNS if c not in ("server_seq", "acked"))
PLACE_FIELDS = frozenset(
    {"household_id", "village_code", "number", "code", "parent_code", "level", "name", "status"}
    | {"voided"}
)
TABLE_PLACE_FIELDS = {
    "household": frozenset({"village_code", "number", "status", "voided"}),
    "region": frozenset({"code", "parent_code", "level", "name", "voided"}),
}
OTHER_PLACE_FIELDS = frozenset({"household_id", "voided"})


def place_fields(table: str) -> frozenset[str]:
    """The fields that decide where a row of ``table`` belongs (and what the view counts)."""
    return TABLE_PLACE_FIELDS.get(table, OTHER_PLACE_FIELDS)


SERVER_SEQ = "server_seq"


@dataclass
class Prepared:
    """A checked batch: its entries, the cell writes it makes, the rows whose place may move."""

    entries: list[dict[str, Any]]
    cells: dict[tuple[str, str, str], tuple[str | None, str]]
    inserted: dict[tuple[str, str], dict[str, Any]]
    place_rows: set[tuple[str, str]]
    far_future: int = 0


@dataclass
class Accepted:
    applied: int = 0
    conflicts: list[str] = field(default_factory=list)
    far_future: int = 0
    top: int = 0


def prepare(entries: Iterable[Mapping[str, Any]]) -> Prepared:
    """Check every entry as a laptop's merge would (refusing the whole batch on the first bad
    one) and work out the cell writes; pure Python, before any transaction is opened."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    cells: dict[tuple[str, str, str], tuple[str | None, str]] = {}
    inserted: dict[tuple[str, str], dict[str, Any]] = {}
    place_rows: set[tuple[str, str]] = set()
    limit = wall_ms() + FAR_FUTURE_MS
    far = 0
    for raw in entries:
        check_entry(raw)
        if raw["change_id"] in seen:
            continue
        seen.add(raw["change_id"])
        entry: dict[str, Any] = {c: raw.get(c) for c in LOG_COLUMNS}
        kept.append(entry)
        table, row_id = str(entry["tbl"]), str(entry["row_id"])
        name, hlc = str(entry["field"]), str(entry["hlc"])
        if parse_stamp(hlc).ms > limit:
            far += 1
        try:
            if name == "*":
                # refuses what a laptop would refuse; the checked values name the row's place
                inserted[(table, row_id)] = row_values(table, entry["value"])
                place_rows.add((table, row_id))
            else:
                field_value(table, name, entry["value"])
                if name in place_fields(table):
                    place_rows.add((table, row_id))
        except BadValue as bad:
            raise MergeError(
                _bad_value_message(entry["change_id"], f"{bad.table}.{bad.field}")
            ) from None
        old = cells.get((table, row_id, name))
        if old is None or hlc > old[1]:
            cells[(table, row_id, name)] = (entry["value"], hlc)
    return Prepared(kept, cells, inserted, place_rows, far)


def _bad_value_message(change: str, where: str) -> str:
    from desktop.core.i18n import _

    return _("数据包中的变更 {change} 的字段 {field} 的值无效，整包拒收。").format(
        change=change, field=where
    )


# --------------------------------------------------------------------------------- writing
def accept(conn: Connection, batch: Prepared) -> Accepted:
    """Write a prepared batch in ``conn``'s transaction (see the module docstring)."""
    result = Accepted(far_future=batch.far_future)
    if not batch.entries:
        result.top = current_top(conn)
        return result
    _write_cells(conn, batch)
    _refresh_places(conn, sorted(batch.place_rows), batch)
    # ---- the serialized step: from here to commit, one writer at a time
    count = len(batch.entries)
    top = conn.execute(
        update(schema.counter)
        .where(schema.counter.c.name == SERVER_SEQ)
        .values(value=schema.counter.c.value + count)
        .returning(schema.counter.c.value)
    ).scalar_one()
    low = int(top) - count
    rows = []
    for offset, entry in enumerate(batch.entries, start=1):
        row = dict(entry)
        row["server_seq"] = low + offset
        rows.append(row)
    # change_id is unique: a change the county already holds fails the whole batch (a bundle
    # chain never repeats a change; the county's own entries are handed over once)
    load_rows(conn, schema.change_log, rows)
    result.applied = len(rows)
    resolves = {(e["tbl"], e["row_id"], e["field"]) for e in batch.entries if e["op"] == "resolve"}
    result.conflicts = record_conflicts(conn, low, int(top), resolves)
    result.top = int(top)
    return result


def current_top(conn: Connection) -> int:
    """The highest server_seq handed out by a committed transaction (readers' upper bound)."""
    return int(
        conn.execute(
            select(schema.counter.c.value).where(schema.counter.c.name == SERVER_SEQ)
        ).scalar_one()
    )


def _write_cells(conn: Connection, batch: Prepared) -> None:
    rows = [
        {"tbl": t, "row_id": r, "field": f, "value": v, "hlc": h}
        for (t, r, f), (v, h) in sorted(batch.cells.items())
    ]
    upsert_rows(conn, schema.cell, rows, ["tbl", "row_id", "field"], newer="hlc")


def _refresh_places(
    conn: Connection, keys: list[tuple[str, str]], batch: Prepared | None = None
) -> None:
    """Re-read the place fields of these rows from the winning cells and store them."""
    known = {}
    if batch is not None:
        known = {
            (t, r): (payload, batch.cells[(t, r, "*")][1])
            for (t, r), payload in batch.inserted.items()
        }
    if not keys:
        return
    by_table: dict[str, list[str]] = {}
    for table, row_id in keys:
        by_table.setdefault(table, []).append(row_id)
    places: list[dict[str, Any]] = []
    for table, ids in by_table.items():
        values = field_values(conn, table, ids, place_fields(table), known)
        for row_id in ids:
            places.append(place_row(table, row_id, values.get(row_id, {})))
    upsert_rows(conn, schema.row_place, places, ["tbl", "row_id"])


def field_values(
    conn: Connection,
    table: str,
    ids: list[str],
    fields: Iterable[str],
    known: Mapping[tuple[str, str], tuple[dict[str, Any], str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The merged values of some fields of some rows: each field's own cell, unless the row's
    newest insert (its ``*`` cell) is newer. ``known``: inserts at hand (payload, stamp), so a
    row's stored insert is only read when another one won it."""
    wanted = sorted(set(fields))
    c = schema.cell.c
    rows: dict[str, dict[str, tuple[Any, str]]] = {}
    inserts: dict[str, tuple[dict[str, Any], str]] = {}
    stale: list[str] = []
    for part in chunks(ids):
        found = conn.execute(
            select(c.row_id, c.field, c.hlc, case((c.field == "*", None), else_=c.value)).where(
                c.tbl == table, c.row_id.in_(list(part)), c.field.in_([*wanted, "*"])
            )
        )
        for row_id, name, hlc, raw in found:
            if name != "*":
                rows.setdefault(row_id, {})[name] = (json.loads(raw) if raw else None, hlc)
                continue
            mine = (known or {}).get((table, row_id))
            if mine is not None and mine[1] == hlc:
                inserts[row_id] = mine
            else:
                stale.append(row_id)
    for part in chunks(stale):
        for row_id, raw, hlc in conn.execute(
            select(c.row_id, c.value, c.hlc).where(
                c.tbl == table, c.row_id.in_(list(part)), c.field == "*"
            )
        ):
            inserts[row_id] = (json.loads(raw), hlc)
    merged: dict[str, dict[str, Any]] = {}
    for row_id in set(rows) | set(inserts):
        payload, born = inserts.get(row_id, ({}, ""))
        own = rows.get(row_id, {})
        out = {}
        for name in wanted:
            if name in own and (own[name][1] > born or name not in payload):
                out[name] = own[name][0]
            elif name in payload:
                out[name] = payload[name]
        merged[row_id] = out
    return merged


def place_row(table: str, row_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Where a row belongs, from its field values (household, village, region code)."""
    place: dict[str, Any] = {
        "tbl": table,
        "row_id": row_id,
        "household_id": None,
        "village": None,
        "code": None,
        "parent_code": None,
        "level": None,
        "name": None,
        "status": None,
        "voided": bool(values.get("voided") or False),
    }
    if table == "household":
        place.update(
            household_id=row_id,
            village=values.get("village_code"),
            code=values.get("number"),
            status=values.get("status"),
        )
    elif table == "region":
        code = str(values.get("code") or "")
        level = values.get("level")
        place.update(
            code=code or None,
            parent_code=values.get("parent_code"),
            level=level,
            name=values.get("name"),
            village=code[:12] if level in ("village", "group") else None,
        )
    elif "household_id" in SYNCED[table].model_fields:
        place["household_id"] = values.get("household_id")
    return place


# --------------------------------------------------------------------------------- conflicts
def record_conflicts(
    conn: Connection, low: int, top: int, resolves: set[tuple[str, str, str]]
) -> list[str]:
    """Every concurrent pair of differing writes to one field that involves a change numbered
    in (low, top]: ``x.hlc > y.base_hlc`` and ``y.hlc > x.base_hlc`` (the laptops' rule in
    ``desktop.sync.merge.record_conflicts``), recorded under the same id; then resolutions."""
    found = conn.execute(
        text(
            "SELECT n.change_id, n.device_id, n.value, n.hlc, n.cadre, n.tbl, n.row_id, n.field, "
            "n.household_id, o.change_id, o.device_id, o.value, o.hlc, o.cadre, o.household_id "
            "FROM change_log n JOIN change_log o "
            "ON o.tbl = n.tbl AND o.row_id = n.row_id AND o.field = n.field "
            "WHERE n.server_seq > :low AND n.server_seq <= :top AND n.field <> '*' "
            "AND o.change_id <> n.change_id "
            "AND o.hlc > COALESCE(n.base_hlc, '') AND n.hlc > COALESCE(o.base_hlc, '') "
            "AND COALESCE(o.value, '') <> COALESCE(n.value, '')"
        ),
        {"low": low, "top": top},
    ).all()
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    candidates: dict[str, dict[str, Any]] = {}
    for r in found:
        table, row_id, name = r[5], r[6], r[7]
        if derived_field(table, name):
            continue
        mine = {"change_id": r[0], "device": r[1], "value": r[2], "hlc": r[3], "cadre": r[4]}
        other = {"change_id": r[9], "device": r[10], "value": r[11], "hlc": r[12], "cadre": r[13]}
        winner, loser = (mine, other) if mine["hlc"] > other["hlc"] else (other, mine)
        ident = conflict_id(mine["change_id"], other["change_id"])
        candidates[ident] = {
            "id": ident,
            "tbl": table,
            "row_id": row_id,
            "household_id": row_id if table == "household" else (r[8] or r[14]),
            "field": name,
            **{f"winner_{k}": v for k, v in _side(winner).items()},
            **{f"loser_{k}": v for k, v in _side(loser).items()},
            "detected_at": now,
        }
    fresh: list[str] = []
    if candidates:
        ids = sorted(candidates)
        known: set[str] = set()
        for part in chunks(ids):
            known.update(
                conn.execute(
                    select(schema.conflict.c.id).where(schema.conflict.c.id.in_(list(part)))
                ).scalars()
            )
        fresh = [i for i in ids if i not in known]
        if fresh:
            conn.execute(
                insert(conn, schema.conflict).on_conflict_do_nothing(index_elements=["id"]),
                [candidates[i] for i in fresh],
            )
    fields = {(c["tbl"], c["row_id"], c["field"]) for c in candidates.values()} | resolves
    for table, row_id, name in sorted(fields):
        settle_resolutions(conn, table, row_id, name)
    return fresh


def _side(change: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "change_id": change["change_id"],
        "value": change["value"],
        "hlc": change["hlc"],
        "device": change["device"],
        "cadre": change["cadre"],
    }


def settle_resolutions(conn: Connection, table: str, row_id: str, name: str) -> None:
    """A conflict is resolved by the earliest 'resolve' change to its field made after seeing
    both sides (base stamp at or past the winner's) — ``desktop.sync.merge.settle_resolutions``."""
    log, k = schema.change_log.c, schema.conflict.c
    resolves = conn.execute(
        select(log.change_id, log.base_hlc)
        .where(log.tbl == table, log.row_id == row_id, log.field == name, log.op == "resolve")
        .order_by(log.hlc)
    ).all()
    conflicts = conn.execute(
        select(k.id, k.winner_hlc, k.resolved_by_change).where(
            k.tbl == table, k.row_id == row_id, k.field == name
        )
    ).all()
    for ident, winner_hlc, resolved in conflicts:
        by = next((cid for cid, base in resolves if (base or "") >= winner_hlc), None)
        if by != resolved:
            conn.execute(
                update(schema.conflict)
                .where(schema.conflict.c.id == ident)
                .values(resolved_by_change=by)
            )


# --------------------------------------------------------------------------------- lookups
def places(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The stored place of each (table, row) that the county holds."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], Any] = {}
    p = schema.row_place.c
    for part in chunks(wanted):
        for row in conn.execute(
            select(schema.row_place).where(tuple_(p.tbl, p.row_id).in_(list(part)))
        ).mappings():
            found[(row["tbl"], row["row_id"])] = row
    return found
