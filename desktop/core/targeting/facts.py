"""What the targeting rules read about households, loaded in bulk as plain dicts.

Flags, scores and exit checklists are pure functions over ``HouseholdFacts`` so the same code
serves one household in the GUI and a 10,000-household county on the command line. Reads go to
the driver connection directly (like the data checks): ORM row wrapping costs more than the
queries at county scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from desktop.core.database import Database
from desktop.core.rules.checks_member import as_date, id_key

CHUNK = 500

HOUSEHOLD_COLUMNS = (
    "id, number, county_code, township_code, village_code, head_name, size, status, category, "
    "main_cause, identified_year, exit_year, monitoring_kind, monitoring_since, risk_type, "
    "housing_area, housing_structure, built_year, danger_grade, relocated, water_source, "
    "water_safe, water_difficult, land_cultivated, owns_car, owns_commercial_housing, "
    "runs_business, away_over_year"
)
MEMBER_COLUMNS = (
    "id, household_id, name, id_number, birth_date, relation, school_status, health, labour, "
    "work_status, work_months, medical_insurance, public_salaried, village_cadre, sort_order"
)
INCOME_COLUMNS = "household_id, year, wage, business, property, transfer, business_cost"
VISIT_COLUMNS = (
    "household_id, visit_date, food_ok, clothing_ok, education_ok, medical_ok, housing_ok, water_ok"
)
COMMITMENT_COLUMNS = "id, household_id, category, measure, promised, status, due_date"


@dataclass
class HouseholdFacts:
    """One household with its current members, incomes (by year), latest visit and commitments."""

    household: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    incomes: dict[int, dict[str, Any]] = field(default_factory=dict)
    latest_visit: dict[str, Any] | None = None
    commitments: list[dict[str, Any]] = field(default_factory=list)
    #: member id → registry records (source, name, detail, source_file) matching their ID number
    registry: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: memo of per-capita income by year and of member ages by day (several rules read them)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return str(self.household["id"])

    @property
    def size(self) -> int:
        return len(self.members)


def rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _select(
    conn: Connection, sql: str, ids: Sequence[str] | None, column: str, tail: str = ""
) -> list[dict[str, Any]]:
    """``sql`` ends in a WHERE clause: limit it to ``ids`` (all rows when None), then ``tail``."""
    if ids is None:
        return rows(conn, f"{sql} {tail}")
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        found += rows(conn, f"{sql} AND {column} IN ({','.join('?' * len(part))}) {tail}", part)
    return found


def household_ids(
    db: Database,
    *,
    village: str | None = None,
    township: str | None = None,
    statuses: Iterable[str] | None = None,
) -> list[str]:
    """Ids of non-voided households in a village or township (all when neither), by number."""
    sql = "SELECT id FROM household WHERE voided = 0"
    params: list[Any] = []
    if village:
        sql += " AND village_code = ?"
        params.append(village)
    if township:
        sql += " AND township_code = ?"
        params.append(township)
    wanted = list(statuses) if statuses is not None else None
    if wanted is not None:
        sql += f" AND status IN ({','.join('?' * len(wanted))})"
        params += wanted
    with db.read() as conn:
        return [r["id"] for r in rows(conn, sql + " ORDER BY number", params)]


def load_facts(db: Database, ids: Sequence[str] | None = None) -> list[HouseholdFacts]:
    """Facts for ``ids`` (None: every non-voided household), in household-number order."""
    with db.read() as conn:
        return load_facts_on(conn, ids)


def load_facts_on(conn: Connection, ids: Sequence[str] | None = None) -> list[HouseholdFacts]:
    wanted = list(dict.fromkeys(ids)) if ids is not None else None
    households = _select(
        conn, f"SELECT {HOUSEHOLD_COLUMNS} FROM household WHERE voided = 0", wanted, "id"
    )
    households.sort(key=lambda h: str(h["number"]))
    facts = {h["id"]: HouseholdFacts(household=h) for h in households}
    members = _select(
        conn,
        f"SELECT {MEMBER_COLUMNS} FROM member WHERE voided = 0 AND left_reason IS NULL",
        wanted,
        "household_id",
    )
    members.sort(key=lambda m: (m["household_id"], m["sort_order"] or 0))
    for member in members:
        found = facts.get(member["household_id"])
        if found is not None:
            found.members.append(member)
    for income in _select(
        conn, f"SELECT {INCOME_COLUMNS} FROM income WHERE voided = 0", wanted, "household_id"
    ):
        found = facts.get(income["household_id"])
        if found is not None:
            found.incomes[int(income["year"])] = income
    # SQLite takes the bare columns from the row holding MAX(): the latest visit per household.
    latest_sql = VISIT_COLUMNS.replace("visit_date", "MAX(visit_date) AS visit_date")
    for visit in _select(
        conn,
        f"SELECT {latest_sql} FROM visit WHERE voided = 0",
        wanted,
        "household_id",
        "GROUP BY household_id",
    ):
        found = facts.get(visit["household_id"])
        if found is not None:
            found.latest_visit = visit
    for commitment in _select(
        conn,
        f"SELECT {COMMITMENT_COLUMNS} FROM commitment WHERE voided = 0",
        wanted,
        "household_id",
    ):
        found = facts.get(commitment["household_id"])
        if found is not None:
            found.commitments.append(commitment)
    _attach_registry(conn, facts)
    return list(facts.values())


def _attach_registry(conn: Connection, facts: dict[str, HouseholdFacts]) -> None:
    """Registry lines whose ID number is a current member's (only when lists were imported)."""
    if not rows(conn, "SELECT 1 AS x FROM registry_record LIMIT 1"):
        return
    by_key: dict[str, list[dict[str, Any]]] = {}
    for record in rows(
        conn, "SELECT source, id_key, name, detail, source_file FROM registry_record"
    ):
        by_key.setdefault(record["id_key"], []).append(record)
    for item in facts.values():
        for member in item.members:
            key = id_key(member["id_number"])
            if key and key in by_key:
                item.registry[member["id"]] = by_key[key]


def latest_income_year(facts: HouseholdFacts) -> int | None:
    return max(facts.incomes) if facts.incomes else None


def age(member: dict[str, Any], today: date) -> int | None:
    """Full years on ``today`` (memoised on the member row: several rules ask)."""
    key = f"_age@{today.isoformat()}"
    if key not in member:
        member[key] = _age(member, today)
    return member[key]  # type: ignore[no-any-return]


def _age(member: dict[str, Any], today: date) -> int | None:
    born = as_date(member.get("birth_date"))
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
