"""Bulk reads for the data checks: a handful of queries over the whole county (or a few
households), returned as plain dicts so the checks run in Python without touching the database
again. Raw driver SQL skips ORM type conversion, which matters at 40,000 members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from desktop.core.rules.checks_member import id_key
from desktop.core.rules.findings import PersonRef

CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit

HOUSEHOLD_COLUMNS = (
    "id, number, status, main_cause, other_cause_1, other_cause_2, danger_grade, relocated, "
    "monitoring_kind, monitoring_since, exit_year, phone, bank_account"
)
MEMBER_COLUMNS = (
    "id, household_id, name, id_number, gender, birth_date, relation, ethnicity, education, "
    "school_status, health, labour, work_status, work_months, phone"
)
INCOME_COLUMNS = "household_id, year, wage, business, property, transfer, business_cost"


@dataclass
class CountyRows:
    households: list[dict[str, Any]]
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    incomes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    helped: set[str] = field(default_factory=set)
    last_visits: dict[str, str] = field(default_factory=dict)
    registry: dict[str, list[PersonRef]] = field(default_factory=dict)


def _rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts, read on the driver's own connection: SQLAlchemy's row wrapping and type
    processing cost more than the query itself at 40,000 members."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _select(
    conn: Connection, sql: str, ids: Sequence[str] | None, column: str, extra: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """``sql`` ends in a WHERE clause; limit it to ``ids`` (all rows when ids is None)."""
    if ids is None:
        return _rows(conn, sql, extra)
    rows: list[dict[str, Any]] = []
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        rows += _rows(conn, f"{sql} AND {column} IN ({marks})", (*extra, *part))
    return rows


def load_rows(conn: Connection, household_ids: Sequence[str] | None, today: date) -> CountyRows:
    """Everything the checks read for these households (None: every household in the file)."""
    ids = list(dict.fromkeys(household_ids)) if household_ids is not None else None
    households = _select(
        conn, f"SELECT {HOUSEHOLD_COLUMNS} FROM household WHERE voided = 0", ids, "id"
    )
    data = CountyRows(households=households)
    numbers = {h["id"]: h["number"] for h in households}
    members = _select(
        conn,
        f"SELECT {MEMBER_COLUMNS} FROM member WHERE voided = 0 AND left_reason IS NULL",
        ids,
        "household_id",
    )
    members.sort(key=lambda m: m["household_id"])  # stable: keeps sort_order within a household
    for member in members:
        data.members.setdefault(member["household_id"], []).append(member)
    for income in _select(
        conn, f"SELECT {INCOME_COLUMNS} FROM income WHERE voided = 0", ids, "household_id"
    ):
        data.incomes.setdefault(income["household_id"], []).append(income)
    today_text = today.isoformat()
    data.helped = {
        row["household_id"]
        for row in _select(
            conn,
            "SELECT DISTINCT a.household_id AS household_id FROM helper_assignment a "
            "JOIN helper h ON h.id = a.helper_id WHERE a.voided = 0 AND h.voided = 0 "
            "AND a.start_date <= ? AND (a.end_date IS NULL OR a.end_date >= ?)",
            ids,
            "a.household_id",
            (today_text, today_text),
        )
    }
    data.last_visits = _last_visits(conn, ids)
    data.registry = _registry(conn, members, numbers, whole=ids is None)
    return data


def _last_visits(conn: Connection, ids: Sequence[str] | None) -> dict[str, str]:
    sql = "SELECT household_id, MAX(visit_date) AS last FROM visit WHERE voided = 0"
    if ids is None:
        return {r["household_id"]: r["last"] for r in _rows(conn, sql + " GROUP BY household_id")}
    found: dict[str, str] = {}
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        for row in _rows(conn, f"{sql} AND household_id IN ({marks}) GROUP BY household_id", part):
            found[row["household_id"]] = row["last"]
    return found


def _registry(
    conn: Connection, members: list[dict[str, Any]], numbers: dict[str, str], whole: bool
) -> dict[str, list[PersonRef]]:
    """ID key → every current member in the file carrying it (only keys held more than once
    matter). For a few households, look their members' numbers up across the whole file."""
    holders: dict[str, list[PersonRef]] = defaultdict(list)
    if whole:
        keyed = [(id_key(m["id_number"]), m) for m in members]
        seen: dict[str, str] = {}  # key → first household; only keys in 2+ households matter
        shared: set[str] = set()
        for key, m in keyed:
            if key:
                first = seen.setdefault(key, m["household_id"])
                if first != m["household_id"]:
                    shared.add(key)
        for key, m in keyed:
            if key in shared:
                holders[key].append(
                    PersonRef(
                        m["household_id"], numbers.get(m["household_id"], ""), m["id"], m["name"]
                    )
                )
        return dict(holders)
    wanted: dict[str, str] = {}  # stored spelling → key
    for m in members:
        key = id_key(m["id_number"])
        if key:
            for spelling in _spellings(key):
                wanted[spelling] = key
    spellings = list(wanted)
    for part in _chunks(spellings):
        marks = ",".join("?" * len(part))
        for row in _rows(
            conn,
            "SELECT m.id, m.household_id, m.name, m.id_number, h.number FROM member m "
            "JOIN household h ON h.id = m.household_id WHERE m.voided = 0 AND h.voided = 0 "
            f"AND m.left_reason IS NULL AND m.id_number IN ({marks})",
            part,
        ):
            key = wanted[row["id_number"]]
            holders[key].append(
                PersonRef(row["household_id"], row["number"], row["id"], row["name"])
            )
    return {k: v for k, v in holders.items() if len({p.household_id for p in v}) > 1}


def _spellings(key: str) -> list[str]:
    """How a person's number may be stored: 18 characters, the old 15 digits, or a 20-digit
    disability card (any category/grade, matched by prefix in Python would need a scan, so we
    list the 28 possibilities)."""
    found = [key]
    if key[6:8] == "19":
        found.append(key[:6] + key[8:17])
    found += [key + str(cat) + str(grade) for cat in range(1, 8) for grade in range(1, 5)]
    return found
