"""Applying other devices' change-log entries: last-writer-wins per field, with conflicts kept.

Every replica (each laptop and the county) runs exactly this code on the entries it receives, so
they all end in the same state whatever order the entries arrive in:

* A field's value is the one written by the entry with the highest stamp. Stamps are strings that
  sort by (time, counter, device), so "highest" is the (hlc, device_id) order LWW needs. A row's
  ``created_hlc`` stamps every field no later entry has touched. Field groups need nothing special:
  their fields are always written together, under one stamp.
* An insert (``field == '*'``) creates the row; if the row is already there (the same row created
  twice) each field of it is an ordinary write with the insert's stamp.
* An update for a row we do not have yet is kept in the change log and replayed when the insert
  arrives ("pending" rows), so out-of-order delivery still converges.
* Two updates of one field are concurrent when each was written without having seen the other:
  ``x.hlc > y.base_hlc`` and ``y.hlc > x.base_hlc``. Every such pair with different values becomes
  one ``conflict`` row whose id hashes the two change ids, so each replica records the same set:
  the pair is noticed when the second of the two reaches a replica (merge time) or, on the author's
  own laptop when it wrote against a stale base, by :func:`scan_local_conflicts_in`
  (:mod:`desktop.sync.merge_conflicts`).
* Append-only tables are rows that are only inserted and voided, so the above is a union; voids
  are field writes (tombstones) and an edit to a voided row still applies by LWW.

Everything happens in the caller's unit of work, in its one transaction (the guard triggers see an
active unit of work), and in bulk: the change log with one executemany; rows new to this replica,
the bulk of a large bundle, in SQL straight from their insert entries (:mod:`desktop.sync.
merge_rows`); the remaining writes per row in Python, updates through SQLAlchemy statements and
any other new row through its columns' own bind processors, so every value is stored byte for
byte as the unit of work stores it; stamps with one executemany; conflicts with one self-join
of the change log. Large batches that write searched columns re-index search in bulk
(:mod:`desktop.core.search.bulk`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update

from desktop.core.hlc import FAR_FUTURE_MS, parse_stamp, wall_ms
from desktop.core.i18n import _
from desktop.core.models import SYNCED
from desktop.core.search import bulk as bulk_index
from desktop.core.search import schema as search_schema
from desktop.core.services.errors import ServiceError
from desktop.core.services.uow import UnitOfWork
from desktop.sync import merge_rows
from desktop.sync.merge_conflicts import (
    SCANNED_KEY,
    SUMMARY_FIELDS,
    conflict_id,
    derived_field,
    ensure_indexes,
    record_conflicts,
    record_conflicts_many,
    scan_local_conflicts_in,
    settle_resolutions,
)
from desktop.sync.values import BadValue, field_value, row_values

ENTRY_COLUMNS = (
    "change_id",
    "device_id",
    "seq",
    "tbl",
    "row_id",
    "household_id",
    "field",
    "value",
    "hlc",
    "base_hlc",
    "op",
    "cadre",
    "recorded_at",
    "server_seq",
    "acked",
)
OPS = frozenset({"insert", "update", "void", "resolve"})
PENDING_KEY = "sync:pending_rows"
# The columns the search triggers watch (desktop.core.search.schema): other writes leave the
# index as it is, so a merge of other fields needs no re-index at all.
SEARCHED = {
    "member": frozenset(c.strip() for c in search_schema.MEMBER_COLUMNS.split(",")),
    "household": frozenset(c.strip() for c in search_schema.HOUSEHOLD_COLUMNS.split(",")),
}
CHUNK = 500


__all__ = [
    "ENTRY_COLUMNS",
    "SCANNED_KEY",
    "MergeError",
    "MergeResult",
    "apply_entries",
    "check_entry",
    "conflict_id",
    "derived_field",
    "ensure_indexes",
    "raw_cursor",
    "record_conflicts",
    "refresh_summaries_raw",
    "refresh_summary_raw",
    "scan_local_conflicts_in",
    "settle_resolutions",
]


class MergeError(ServiceError):
    """Entries that cannot be applied; the whole bundle is refused."""


@dataclass
class MergeResult:
    received: int = 0
    applied: int = 0  # entries new to this replica
    duplicates: int = 0  # entries it already had
    pending_rows: int = 0  # rows waiting for their insert
    conflicts: list[str] = field(default_factory=list)  # ids of conflicts first seen now
    far_future: int = 0  # stamps more than a day ahead of this laptop's clock
    households: set[str] = field(default_factory=set)


def raw_cursor(uow: UnitOfWork) -> sqlite3.Cursor:
    """A cursor on the unit of work's own connection (same transaction) for local tables."""
    driver = uow.connection.connection.driver_connection
    assert driver is not None  # sqlite3's or SQLCipher's connection (an encrypted database)
    cursor: sqlite3.Cursor = driver.cursor()
    return cursor


def check_entry(entry: Mapping[str, Any]) -> None:
    """Refuse an entry that could not have come from a Doorstep unit of work."""
    table, name = entry.get("tbl"), entry.get("field")
    ok = (
        table in SYNCED
        and isinstance(entry.get("row_id"), str)
        and 0 < len(entry["row_id"]) <= 36
        and entry.get("op") in OPS
        and isinstance(name, str)
        and (name == "*") == (entry.get("op") == "insert")
        and (name == "*" or name in SYNCED[str(table)].model_fields)
        and name not in ("id", "created_hlc")
        and isinstance(entry.get("seq"), int)
        and entry.get("change_id") == f"{entry.get('device_id')}:{entry.get('seq')}"
        and (entry.get("value") is None or isinstance(entry.get("value"), str))
        and (entry.get("base_hlc") is None or isinstance(entry.get("base_hlc"), str))
    )
    if ok:
        try:
            stamp = parse_stamp(str(entry["hlc"]))
            ok = stamp.device == entry["device_id"] and len(str(entry["hlc"])) <= 64
        except (ValueError, KeyError):
            ok = False
    if not ok:
        raise MergeError(
            _("数据包中有一条无效的变更记录（{change}），整包拒收。").format(
                change=str(entry.get("change_id"))[:80]
            )
        )


# --------------------------------------------------------------------------------- applying
def apply_entries(uow: UnitOfWork, entries: Iterable[Mapping[str, Any]]) -> MergeResult:
    """Merge entries into the database inside ``uow``'s transaction; idempotent on change_id."""
    cur = raw_cursor(uow)
    ensure_indexes(cur)
    cur.execute("PRAGMA defer_foreign_keys = ON")  # rows of one bundle may reference each other
    result = MergeResult()
    scan_local_conflicts_in(uow, cur)
    incoming: dict[str, dict[str, Any]] = {}
    for entry in entries:
        result.received += 1
        check_entry(entry)
        if entry["change_id"] not in incoming:
            incoming[entry["change_id"]] = {c: entry.get(c) for c in ENTRY_COLUMNS}
    known = _known_change_ids(cur, list(incoming))
    fresh = [e for cid, e in incoming.items() if cid not in known]
    result.duplicates = result.received - len(fresh)
    result.applied = len(fresh)
    if not fresh:
        return result
    for e in fresh:
        e["acked"] = bool(e.get("acked"))
    cur.executemany(
        f"INSERT OR IGNORE INTO change_log ({', '.join(ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})",
        [tuple(e[c] for c in ENTRY_COLUMNS) for e in fresh],
    )
    highest = max(e["hlc"] for e in fresh)
    uow.clock.observe(highest)
    limit = wall_ms() + FAR_FUTURE_MS
    result.far_future = sum(1 for e in fresh if parse_stamp(e["hlc"]).ms > limit)

    indexed = [e for e in fresh if _searched(e["tbl"], e["field"])]
    suspended = bulk_index.suspend(cur) if len(indexed) >= bulk_index.BULK_ROWS else []
    pending = _load_pending(cur)
    by_row: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in fresh:
        by_row[(e["tbl"], e["row_id"])].append(e)
        if e["household_id"]:
            result.households.add(e["household_id"])
    merger = _RowMerger(uow, cur, result)
    merge_rows.register(cur)
    tables: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for (table, row_id), group in by_row.items():
        tables[table][row_id] = group
    for table in SYNCED:  # parents before children, as the models are listed
        groups = tables.get(table)
        if groups:
            groups = merger.insert_new(table, groups, pending)
        if groups:
            merger.merge_table(table, groups, pending)
    _retry_pending(merger, cur, pending)
    merger.finish()
    if suspended:
        # households (each re-read whole, members too), and rows that may have an entry to drop
        # (a member moved house); a member new to this replica has none
        touched = {e["household_id"] for e in indexed if e["household_id"]}
        touched |= {e["row_id"] for e in indexed if e["field"] != "*" or e["tbl"] == "household"}
        touched |= merger.reindex
        bulk_index.resume(cur, suspended, touched)
    _save_pending(cur, pending)
    result.pending_rows = len(pending)
    return result


def _retry_pending(merger: _RowMerger, cur: sqlite3.Cursor, pending: set[str]) -> None:
    """Rows that waited for their insert or their parent: try again until nothing moves."""
    progress = True
    while pending and progress:
        progress = False
        for table in SYNCED:
            keys = sorted(k for k in pending if k.split("/", 1)[0] == table)
            if not keys:
                continue
            groups = {}
            for key in keys:
                row_id = key.split("/", 1)[1]
                entries = _row_entries(cur, table, row_id)
                if any(e["field"] == "*" for e in entries):
                    groups[row_id] = entries
            if groups:
                before = len(pending)
                merger.merge_table(table, groups, pending)
                progress = progress or len(pending) < before


@cache
def _foreign_keys(table: str) -> tuple[tuple[str, str], ...]:
    columns = SYNCED[table].__table__.columns  # type: ignore[attr-defined]
    return tuple(
        (c.name, next(iter(c.foreign_keys)).column.table.name) for c in columns if c.foreign_keys
    )


class _RowMerger:
    """LWW over a batch of rows of one table at a time, written back in bulk."""

    def __init__(self, uow: UnitOfWork, cur: sqlite3.Cursor, result: MergeResult) -> None:
        self.uow = uow
        self.cur = cur
        self.result = result
        self.stamp_rows: list[tuple[str, str, str, str]] = []
        self.conflict_fields: set[tuple[str, str, str]] = set()
        self.summary_households: set[str] = set()
        self.reindex: set[str] = set()  # rows whose searched columns this merge wrote

    def insert_new(
        self, table: str, groups: dict[str, list[dict[str, Any]]], pending: set[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Rows new to this replica, each created by one insert entry: written in SQL straight
        from those entries (:mod:`desktop.sync.merge_rows`). Returns what is left for
        :meth:`merge_table`: the later entries of those rows (now ordinary writes to an
        existing row) and every group the SQL path does not take."""
        created = _existing_rows(self.cur, table, list(groups))
        order = list(groups)
        staged: list[tuple[int, str, str, str | None]] = []
        for key, row_id in enumerate(order):
            if row_id in created or f"{table}/{row_id}" in pending:
                continue
            inserts = [e for e in groups[row_id] if e["field"] == "*"]
            if len(inserts) == 1:
                staged.append((key, row_id, inserts[0]["hlc"], inserts[0]["value"]))
        if not staged:
            return groups
        inserted, _python, waiting = merge_rows.insert_new_rows(self.cur, table, staged)
        rest = dict(groups)
        for key in waiting:
            row_id = order[key]
            pending.add(f"{table}/{row_id}")
            del rest[row_id]
        for key in inserted:
            row_id = order[key]
            group = groups[row_id]
            self._note_summary(table, row_id, {}, group, True)
            later = [e for e in group if e["field"] != "*"]
            if later:
                rest[row_id] = later
            else:
                del rest[row_id]
        return rest

    def merge_table(
        self, table: str, groups: dict[str, list[dict[str, Any]]], pending: set[str]
    ) -> None:
        created = _existing_rows(self.cur, table, list(groups))
        stamps = _field_stamps(self.cur, table, [r for r in groups if r in created])
        new_rows: list[dict[str, Any]] = []
        candidates: list[tuple[str, dict[str, Any], list[Any], list[dict[str, Any]]]] = []
        updates: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
        for row_id, group in groups.items():
            key = f"{table}/{row_id}"
            row_created = created.get(row_id)
            values: dict[str, Any] = {}
            if row_created is None:
                if not any(e["field"] == "*" for e in group):
                    pending.add(key)
                    continue
                if key in pending:  # replay what arrived before the insert
                    group = _row_entries(self.cur, table, row_id)
                    pending.discard(key)
                group = sorted(group, key=lambda e: e["hlc"])
                first = next(e for e in group if e["field"] == "*")
                values = self._decode_row(table, first)
                row_created = first["hlc"]
                row_stamps: dict[str, str] = {}
                rest = [e for e in group if e is not first]
                is_new = True
            else:
                row_stamps = stamps.get(row_id, {})
                rest = sorted(group, key=lambda e: e["hlc"])
                is_new = False
            changed: dict[str, Any] = {}
            touched: set[str] = set()
            for entry in rest:
                for name, value in self._writes(table, entry):
                    current = row_stamps.get(name, row_created)
                    if entry["field"] != "*" and (entry["base_hlc"] or "") < current:
                        self.conflict_fields.add((table, row_id, name))
                    if entry["op"] == "resolve":
                        self.conflict_fields.add((table, row_id, name))
                    if entry["hlc"] > current:
                        changed[name] = value
                        row_stamps[name] = entry["hlc"]
                        touched.add(name)
                    if entry["field"] == "*" and entry["hlc"] < row_created:
                        # The same row created twice: the earlier insert names the row's birth,
                        # the fields it did not win keep their stamps explicitly.
                        for other in SYNCED[table].model_fields:
                            if other not in row_stamps:
                                row_stamps[other] = row_created
                                touched.add(other)
                        row_created = entry["hlc"]
                        changed["created_hlc"] = row_created
            row_stamp_rows = [
                (table, row_id, name, row_stamps[name])
                for name in touched
                if row_stamps[name] != row_created or not is_new
            ]
            if is_new:
                values.update(changed)
                values["id"] = row_id
                values["created_hlc"] = row_created
                candidates.append((key, values, row_stamp_rows, list(group)))
                continue
            if changed:
                changed["_row"] = row_id
                updates[frozenset(changed)].append(changed)
            self.stamp_rows.extend(row_stamp_rows)
            self._note_summary(table, row_id, changed, group, False)
        for _key, values, row_stamp_rows, group in self._with_parents(table, candidates, pending):
            new_rows.append(values)
            self.stamp_rows.extend(row_stamp_rows)
            self._note_summary(table, values["id"], values, group, True)
        model_table = SYNCED[table].__table__  # type: ignore[attr-defined]
        if new_rows:
            # The unit of work's insert primitive, in bulk on the same connection: each value
            # goes through its column type's own bind processor, as SQLAlchemy would store it.
            binders = _binders(table, self.uow.connection.dialect)
            columns = [name for name, _process in binders]
            self.cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [
                    tuple(
                        row.get(name) if process is None else process(row.get(name))
                        for name, process in binders
                    )
                    for row in new_rows
                ],
            )
        for names, rows in updates.items():
            binds: dict[str, Any] = {n: bindparam(n) for n in names if n != "_row"}
            statement = (
                update(model_table).where(model_table.c.id == bindparam("_row")).values(binds)
            )
            self.uow.connection.execute(statement, rows)

    def _note_summary(
        self,
        table: str,
        row_id: str,
        changed: Mapping[str, Any],
        group: list[dict[str, Any]],
        is_new: bool,
    ) -> None:
        """Households whose head or size may have moved (see :func:`refresh_summary_raw`), and
        what the search index must re-read when its triggers are suspended: the rows whose
        searched columns were written (new rows, and a member's old and new household)."""
        households = {e["household_id"] for e in group if e["household_id"]}
        if table == "member" or (table == "household" and SUMMARY_FIELDS & set(changed)):
            self.summary_households.update(households)
        if table == "household" and is_new:
            self.summary_households.add(row_id)
        searched = SEARCHED.get(table)
        if searched is not None and (is_new or searched & set(changed)):
            if table == "household" or not is_new:
                self.reindex.add(row_id)
            self.reindex.update(households)
            moved_to = changed.get("household_id") if table == "member" else None
            if isinstance(moved_to, str):
                self.reindex.add(moved_to)

    def _with_parents(
        self,
        table: str,
        candidates: list[tuple[str, dict[str, Any], list[Any], list[dict[str, Any]]]],
        pending: set[str],
    ) -> list[tuple[str, dict[str, Any], list[Any], list[dict[str, Any]]]]:
        """New rows whose parents (household, helper) exist; the others wait as pending rows,
        so delivery in any order never breaks a foreign key."""
        ready = list(candidates)
        for column, parent in _foreign_keys(table):
            wanted = sorted({v[column] for _k, v, _s, _g in ready if v.get(column)})
            present = set(_existing_rows(self.cur, parent, wanted))
            kept = []
            for item in ready:
                parent_id = item[1].get(column)
                if parent_id and parent_id not in present:
                    pending.add(item[0])
                else:
                    kept.append(item)
            ready = kept
        return ready

    def _decode_row(self, table: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return row_values(table, entry["value"])
        except BadValue as bad:
            raise _bad_value(entry, bad) from None

    def _writes(self, table: str, entry: Mapping[str, Any]) -> list[tuple[str, Any]]:
        try:
            if entry["field"] == "*":
                return list(row_values(table, entry["value"]).items())
            return [(entry["field"], field_value(table, entry["field"], entry["value"]))]
        except BadValue as bad:
            raise _bad_value(entry, bad) from None

    def finish(self) -> None:
        if self.stamp_rows:
            self.cur.executemany(
                "INSERT INTO field_stamp (tbl, row_id, field, hlc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tbl, row_id, field) DO UPDATE SET hlc = excluded.hlc",
                self.stamp_rows,
            )
        self.result.conflicts.extend(record_conflicts_many(self.cur, self.conflict_fields))
        self.reindex.update(refresh_summaries_raw(self.uow, sorted(self.summary_households)))


_BINDERS: dict[str, list[tuple[str, Any]]] = {}


def _binders(table: str, dialect: Any) -> list[tuple[str, Any]]:
    """(column, bind processor or None) for a synced table, as SQLAlchemy computes them."""
    if table not in _BINDERS:
        columns = SYNCED[table].__table__.columns  # type: ignore[attr-defined]
        _BINDERS[table] = [(c.name, c.type._cached_bind_processor(dialect)) for c in columns]
    return _BINDERS[table]


def _bad_value(entry: Mapping[str, Any], bad: BadValue) -> MergeError:
    return MergeError(
        _("数据包中的变更 {change} 的字段 {field} 的值无效，整包拒收。").format(
            change=entry["change_id"], field=f"{bad.table}.{bad.field}"
        )
    )


def _searched(table: str, name: str) -> bool:
    """Whether an entry can change what the search index holds (the columns its triggers
    watch, or a whole new row)."""
    columns = SEARCHED.get(table)
    return columns is not None and (name == "*" or name in columns)


# --------------------------------------------------------------------------------- summaries
def refresh_summary_raw(uow: UnitOfWork, household_id: str) -> None:
    """Keep head and size equal to what the merged members say (one household)."""
    refresh_summaries_raw(uow, [household_id])


def refresh_summaries_raw(uow: UnitOfWork, households: Sequence[str]) -> list[str]:
    """Keep head and size equal to what the merged members say, as the household services do;
    returns the households whose head changed (the search index reads the head).

    Written without a log entry: every replica computes the same values from the same members,
    and the authors' own summary changes travel as ordinary entries. Done in bulk: a merge of a
    whole roster touches thousands of households, and most already agree."""
    cur = raw_cursor(uow)
    changed: list[dict[str, Any]] = []
    new_heads: list[str] = []
    for start in range(0, len(households), CHUNK):
        part = list(households[start : start + CHUNK])
        marks = ",".join("?" * len(part))
        current = {
            r[0]: (r[1], r[2], r[3])
            for r in cur.execute(
                f"SELECT id, size, head_name, head_member_id FROM household WHERE id IN ({marks})",
                part,
            )
        }
        members: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        for household, member, name, relation in cur.execute(
            f"SELECT household_id, id, name, relation FROM member WHERE household_id IN ({marks}) "
            "AND voided = 0 AND left_reason IS NULL ORDER BY household_id, sort_order, id",
            part,
        ):
            members[household].append((member, name, relation))
        for household, now in current.items():
            rows = members.get(household, [])
            head = next((m for m in rows if m[2] == "head"), None)
            wanted = (len(rows), head[1] if head else "", head[0] if head else None)
            if now != wanted:
                if now[2] != wanted[2]:
                    new_heads.append(household)
                changed.append(
                    {
                        "_row": household,
                        "size": wanted[0],
                        "head_name": wanted[1],
                        "head_member_id": wanted[2],
                    }
                )
    if changed:
        table = SYNCED["household"].__table__  # type: ignore[attr-defined]
        uow.connection.execute(
            update(table)
            .where(table.c.id == bindparam("_row"))
            .values(
                size=bindparam("size"),
                head_name=bindparam("head_name"),
                head_member_id=bindparam("head_member_id"),
            ),
            changed,
        )
    return new_heads


# --------------------------------------------------------------------------------- lookups
def _known_change_ids(cur: sqlite3.Cursor, ids: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        marks = ",".join("?" * len(part))
        known.update(
            r[0]
            for r in cur.execute(
                f"SELECT change_id FROM change_log WHERE change_id IN ({marks})", part
            )
        )
    return known


def _existing_rows(cur: sqlite3.Cursor, table: str, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        marks = ",".join("?" * len(part))
        found.update(
            cur.execute(f"SELECT id, created_hlc FROM {table} WHERE id IN ({marks})", part)
        )
    return found


def _field_stamps(cur: sqlite3.Cursor, table: str, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    stamps: dict[str, dict[str, str]] = defaultdict(dict)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        marks = ",".join("?" * len(part))
        for row_id, name, hlc in cur.execute(
            f"SELECT row_id, field, hlc FROM field_stamp WHERE tbl = ? AND row_id IN ({marks})",
            [table, *part],
        ):
            stamps[row_id][name] = hlc
    return stamps


def _row_entries(cur: sqlite3.Cursor, table: str, row_id: str) -> list[dict[str, Any]]:
    cur.execute(
        f"SELECT {', '.join(ENTRY_COLUMNS)} FROM change_log WHERE tbl = ? AND row_id = ?",
        (table, row_id),
    )
    return [dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in cur.fetchall()]


def _load_pending(cur: sqlite3.Cursor) -> set[str]:
    found = cur.execute("SELECT value FROM setting WHERE key = ?", (PENDING_KEY,)).fetchone()
    return set(json.loads(found[0])) if found else set()


def _save_pending(cur: sqlite3.Cursor, pending: set[str]) -> None:
    cur.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (PENDING_KEY, json.dumps(sorted(pending))),
    )
