"""New rows straight from their insert entries, in SQL: the bulk of any large merge.

Most of a large bundle is rows this replica has never seen, each created by one insert entry
whose value is the whole row as JSON. Decoding that JSON in Python and checking every field
costs more than writing the rows; SQLite reads the same text in C. A row goes this way only when
its JSON is plainly what a unit of work writes: an object with every field of the table exactly
once, each of its column's type (text within its length, true/false, integers, numbers, dates
in canonical ``YYYY-MM-DD``), and no ``\\u`` escapes. Each value then lands as the column's
SQLAlchemy bind processor stores it: text as is, booleans 1/0, dates as the same text, integers
as integers, and numbers through Python's own ``float`` (a registered SQL function), so each
REAL is bit for bit the one Python would bind. Anything else (a table with a type this module
does not know, odd JSON, a bad value) goes back to the general merge in Python, which decodes
strictly and names the bad field.

The entries are staged in a TEMP table (memory), checked field by field with SQLite's JSON
functions, and inserted with one INSERT ... SELECT per table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from functools import cache

from annotated_types import MaxLen

from desktop.core.models import SYNCED
from desktop.sync.values import _base_type

REAL_FUNCTION = "doorstep_merge_real"
KINDS = (str, bool, int, float, date)


def _real(text: str) -> float:
    """A JSON number's text as Python's ``float`` reads it (what the unit of work binds)."""
    return float(int(text)) if text.lstrip("-").isdigit() else float(text)


def register(cur: sqlite3.Cursor) -> None:
    """The SQL function the insert uses for numbers, on this connection."""
    cur.connection.create_function(REAL_FUNCTION, 1, _real, deterministic=True)


@cache
def _plan(table: str) -> tuple[str, str] | None:
    """(the condition that a staged row's JSON is plain, the INSERT ... SELECT), or None when a
    field's type is one only the Python path handles."""
    model = SYNCED[table]
    columns = [c.name for c in model.__table__.columns]  # type: ignore[attr-defined]
    fields = [name for name in columns if name not in ("id", "created_hlc")]
    if set(fields) != set(model.model_fields) - {"id", "created_hlc"}:
        return None
    checks = [f"(SELECT count(*) FROM json_each(c.value)) = {len(fields)}"]
    values = ["c.row_id", "c.hlc"]
    for name in fields:
        info = model.model_fields[name]
        kind, optional = _base_type(info.annotation)
        if kind not in KINDS or not name.isidentifier():
            return None
        kind_of = f"json_type(c.value, '$.{name}')"
        got = f"(c.value ->> '$.{name}')"
        values.append(got)
        if kind is str:
            limit = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
            fits = f"{kind_of} = 'text'"
            if limit is not None:
                fits += f" AND length({got}) <= {int(limit)}"
        elif kind is bool:
            fits = f"{kind_of} IN ('true', 'false')"
        elif kind is int:
            fits = f"{kind_of} = 'integer' AND typeof({got}) = 'integer'"
        elif kind is float:
            fits = f"{kind_of} IN ('integer', 'real')"
            values[-1] = (
                f"CASE WHEN {kind_of} = 'null' THEN NULL ELSE {REAL_FUNCTION}(c.value -> '$.{name}') END"
            )
        else:  # date; SQLite's date() alone would let 2月30日 through, julianday() rolls it over
            fits = (
                f"{kind_of} = 'text' AND {got} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
                f"AND {got} >= '0001-01-01' AND date(julianday({got})) = {got}"
            )
        checks.append(f"({kind_of} = 'null' OR ({fits}))" if optional else f"({fits})")
    insert = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)}"
    return " AND ".join(checks), insert


@cache
def _parents(table: str) -> tuple[tuple[str, str], ...]:
    columns = SYNCED[table].__table__.columns  # type: ignore[attr-defined]
    return tuple(
        (c.name, next(iter(c.foreign_keys)).column.table.name) for c in columns if c.foreign_keys
    )


def _misfits(cur: sqlite3.Cursor, check: str) -> list[int]:
    """Staged rows whose JSON is not exactly the expected fields with fitting values. Odd JSON
    is set aside first: json_each would stop the whole statement on it."""
    bad = [
        k
        for (k,) in cur.execute(
            "SELECT k FROM temp.merge_new WHERE value IS NULL OR NOT json_valid(value) "
            "OR json_type(value) != 'object' OR instr(value, '\\u') > 0"
        )
    ]
    if bad:
        cur.executemany("DELETE FROM temp.merge_new WHERE k = ?", [(k,) for k in bad])
    bad += [k for (k,) in cur.execute(f"SELECT c.k FROM temp.merge_new c WHERE NOT ({check})")]
    return bad


def insert_new_rows(
    cur: sqlite3.Cursor, table: str, rows: Sequence[tuple[int, str, str, str | None]]
) -> tuple[list[int], list[int], list[int]]:
    """Insert the rows created by these insert entries, given as (key, row id, stamp, JSON
    value); none of the rows exists yet. They are staged in a TEMP table (in memory), checked
    and written by a few statements. Returns the keys (inserted, left for the Python path,
    waiting for a parent row)."""
    plan = _plan(table)
    if plan is None or not rows:
        return [], [r[0] for r in rows], []
    check, insert = plan
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS merge_new "
        "(k INTEGER PRIMARY KEY, row_id TEXT, hlc TEXT, value TEXT)"
    )
    cur.execute("DELETE FROM temp.merge_new")
    cur.executemany("INSERT INTO temp.merge_new VALUES (?, ?, ?, ?)", rows)
    odd = _misfits(cur, check)
    if odd:
        cur.executemany("DELETE FROM temp.merge_new WHERE k = ?", [(k,) for k in odd])
    waiting: list[int] = []
    for column, parent in _parents(table):
        got = f"(c.value ->> '$.{column}')"
        waiting += [
            k
            for (k,) in cur.execute(
                f"SELECT c.k FROM temp.merge_new c WHERE {got} IS NOT NULL AND {got} != '' "
                f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {got})"
            )
        ]
    if waiting:
        cur.executemany("DELETE FROM temp.merge_new WHERE k = ?", [(k,) for k in waiting])
    cur.execute(f"{insert} FROM temp.merge_new c ORDER BY c.k")
    cur.execute("DELETE FROM temp.merge_new")
    left = set(odd) | set(waiting)
    waiting_set = set(waiting)
    return (
        [r[0] for r in rows if r[0] not in left],
        odd,
        [r[0] for r in rows if r[0] in waiting_set],
    )


__all__ = ["insert_new_rows", "register"]
