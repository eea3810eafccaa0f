"""Reading households for lists: filtering and sorting happen in SQL, never in Python.

A county holds up to ~100,000 households. The GUI's table asks for the ordered row keys once per
sort/filter (``household_keys``, a list of small integers) and then for windows of rows by key
(``rows_for_keys``), so scrolling costs a page-sized query and sorting one indexed scan.
``list_households`` offers the same with OFFSET/LIMIT for the command line and tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from desktop.core.database import Database

#: A household is overdue for a visit when nobody has visited it for this many days.
VISIT_OVERDUE_DAYS = 90
#: Commitments falling due within this many days (or already overdue) count as "due".
COMMITMENT_DUE_DAYS = 30
OPEN_COMMITMENT = "('planned', 'in_progress')"

_HELPER = (
    "(SELECT hp.name FROM helper_assignment a JOIN helper hp ON hp.id = a.helper_id "
    "WHERE a.household_id = h.id AND a.voided = 0 AND a.end_date IS NULL "
    "ORDER BY a.start_date DESC LIMIT 1)"
)
_LAST_VISIT = "(SELECT MAX(v.visit_date) FROM visit v WHERE v.household_id = h.id AND v.voided = 0)"
_FINDINGS = "(SELECT COUNT(*) FROM finding f WHERE f.household_id = h.id)"
_OVERDUE_COMMITMENTS = (
    "(SELECT COUNT(*) FROM commitment c WHERE c.household_id = h.id AND c.voided = 0 "
    f"AND c.status IN {OPEN_COMMITMENT} AND c.due_date < :today)"
)

SORT_KEYS: dict[str, str] = {
    "number": "h.number",
    "head_name": "h.head_name",
    "size": "h.size",
    "category": "h.category",
    "status": "h.status",
    "main_cause": "h.main_cause",
    "helper": _HELPER,
    "last_visit": _LAST_VISIT,
    "findings": _FINDINGS,
}


@dataclass(frozen=True)
class HouseholdFilters:
    """What the quick filters and the search box narrow the list to."""

    status: str | None = None
    category: str | None = None
    overdue_visits: bool = False
    commitments_due: bool = False
    with_findings: bool = False
    household_ids: tuple[str, ...] | None = None  # search hits, in relevance order
    today: date | None = None


@dataclass(frozen=True)
class Scope:
    """Where in the region tree the list is looking."""

    township_code: str | None = None
    village_code: str | None = None
    group_code: str | None = None


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    key: int
    id: str
    number: str
    head_name: str
    size: int
    category: str | None
    status: str
    main_cause: str | None
    helper: str | None
    last_visit: str | None
    findings: int
    overdue_commitments: int
    village_code: str


@dataclass
class _Query:
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _build(scope: Scope, filters: HouseholdFilters) -> _Query:
    today = filters.today or date.today()
    query = _Query(["h.voided = 0"], {"today": today.isoformat()})
    if scope.township_code:
        query.where.append("h.township_code = :township")
        query.params["township"] = scope.township_code
    if scope.village_code:
        query.where.append("h.village_code = :village")
        query.params["village"] = scope.village_code
    if scope.group_code:
        query.where.append("h.group_code = :group_code")
        query.params["group_code"] = scope.group_code
    if filters.status:
        query.where.append("h.status = :status")
        query.params["status"] = filters.status
    if filters.category:
        query.where.append("h.category = :category")
        query.params["category"] = filters.category
    if filters.overdue_visits:
        query.where.append(
            "NOT EXISTS (SELECT 1 FROM visit v WHERE v.household_id = h.id AND v.voided = 0 "
            "AND v.visit_date >= :visit_cutoff)"
        )
        query.params["visit_cutoff"] = (today - timedelta(days=VISIT_OVERDUE_DAYS)).isoformat()
    if filters.commitments_due:
        query.where.append(
            "EXISTS (SELECT 1 FROM commitment c WHERE c.household_id = h.id AND c.voided = 0 "
            f"AND c.status IN {OPEN_COMMITMENT} AND c.due_date <= :due_cutoff)"
        )
        query.params["due_cutoff"] = (today + timedelta(days=COMMITMENT_DUE_DAYS)).isoformat()
    if filters.with_findings:
        query.where.append("EXISTS (SELECT 1 FROM finding f WHERE f.household_id = h.id)")
    if filters.household_ids is not None:
        query.where.append("h.id IN (SELECT value FROM json_each(:ids))")
        query.params["ids"] = json.dumps(list(filters.household_ids))
    return query


def _order(sort_key: str | None, descending: bool, filters: HouseholdFilters) -> str:
    direction = "DESC" if descending else "ASC"
    if sort_key is None and filters.household_ids is not None:
        # Search hits keep the search's relevance order until someone sorts by a column.
        return "ORDER BY (SELECT j.key FROM json_each(:ids) j WHERE j.value = h.id)"
    expression = SORT_KEYS.get(sort_key or "number")
    if expression is None:
        raise ValueError(f"unknown sort key {sort_key!r}")
    return f"ORDER BY {expression} {direction}, h.number {direction}"


_ROW_COLUMNS = (
    "h.rowid, h.id, h.number, h.head_name, h.size, h.category, h.status, h.main_cause, "
    f"{_HELPER}, {_LAST_VISIT}, {_FINDINGS}, {_OVERDUE_COMMITMENTS}, h.village_code"
)


def _row(values: Any) -> HouseholdRow:
    return HouseholdRow(*values)


def _fetch(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """Run a read on the driver's own cursor: sqlite3 releases the interpreter lock while it
    steps, and skipping SQLAlchemy's per-row processing keeps the worker from holding the lock
    for long stretches while the GUI thread waits to paint."""
    return conn.connection.driver_connection.execute(sql, params).fetchall()  # type: ignore[union-attr]


def household_keys(
    db: Database,
    scope: Scope = Scope(),
    filters: HouseholdFilters = HouseholdFilters(),
    sort_key: str | None = "number",
    descending: bool = False,
) -> list[int]:
    """The row keys of every matching household, in display order (cheap: one int per row)."""
    with db.read() as conn:
        return household_keys_on(conn, scope, filters, sort_key, descending)


def household_keys_on(
    conn: Connection,
    scope: Scope = Scope(),
    filters: HouseholdFilters = HouseholdFilters(),
    sort_key: str | None = "number",
    descending: bool = False,
) -> list[int]:
    """``household_keys`` on a connection the caller holds (so it can interrupt a long sort)."""
    query = _build(scope, filters)
    sql = (
        f"SELECT h.rowid FROM household h WHERE {' AND '.join(query.where)} "
        f"{_order(sort_key, descending, filters)}"
    )
    return [r[0] for r in _fetch(conn, sql, query.params)]


def rows_for_keys(db: Database, keys: list[int], today: date | None = None) -> list[HouseholdRow]:
    """The list rows for ``keys``, in the order given (keys of vanished rows are skipped)."""
    if not keys:
        return []
    with db.read() as conn:
        return rows_for_keys_on(conn, keys, today)


def rows_for_keys_on(
    conn: Connection, keys: list[int], today: date | None = None
) -> list[HouseholdRow]:
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM household h "
        "WHERE h.rowid IN (SELECT value FROM json_each(:keys))"
    )
    params = {"keys": json.dumps(keys), "today": (today or date.today()).isoformat()}
    found = {r[0]: _row(r) for r in _fetch(conn, sql, params)}
    return [found[k] for k in keys if k in found]


def list_households(
    db: Database,
    village_code: str | None = None,
    group_code: str | None = None,
    filters: HouseholdFilters = HouseholdFilters(),
    sort_key: str | None = "number",
    descending: bool = False,
    offset: int = 0,
    limit: int = 200,
    township_code: str | None = None,
) -> list[HouseholdRow]:
    """One page of the household list, filtered and sorted by the database."""
    query = _build(Scope(township_code, village_code, group_code), filters)
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM household h WHERE {' AND '.join(query.where)} "
        f"{_order(sort_key, descending, filters)} LIMIT :limit OFFSET :offset"
    )
    params = {**query.params, "limit": limit, "offset": offset}
    with db.read() as conn:
        return [_row(r) for r in _fetch(conn, sql, params)]


def count_households(
    db: Database,
    village_code: str | None = None,
    group_code: str | None = None,
    filters: HouseholdFilters = HouseholdFilters(),
    township_code: str | None = None,
) -> int:
    query = _build(Scope(township_code, village_code, group_code), filters)
    sql = f"SELECT COUNT(*) FROM household h WHERE {' AND '.join(query.where)}"
    with db.read() as conn:
        return int(_fetch(conn, sql, query.params)[0][0])
