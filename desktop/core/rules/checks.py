"""The national system's consistency checks (数据核查), run in bulk and on save.

``run_checks`` reads the county (or a few households) with a handful of queries and evaluates
every rule in Python; ``store_findings`` replaces the rows of the local ``finding`` table so lists
and the GUI can show them; ``check_household`` does both for one household after a save.
``evaluate_household`` is the pure core: it takes plain dicts, so rules can be applied to values
the services would refuse to store (imports, other laptops' data, tests).

Rule codes, default severities and titles live in ``rule_codes``; thresholds, the poverty line
and the county's switches in the rule file (``rulefile``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from desktop.core.rules.checks_household import check_household_rows
from desktop.core.rules.checks_load import CHUNK, load_rows
from desktop.core.rules.checks_member import CodeMaps, check_member, code_maps, id_key
from desktop.core.rules.findings import CheckContext, Finding, PersonRef, Row, Sink
from desktop.core.rules.rule_codes import RULES, title_of
from desktop.core.rules.rulefile import Rules, default_rules

if TYPE_CHECKING:
    from desktop.core.database import Database

__all__ = [
    "RULES",
    "CheckContext",
    "Finding",
    "PersonRef",
    "check_household",
    "evaluate_household",
    "registry_of",
    "run_checks",
    "store_findings",
    "title_of",
]


def evaluate_household(
    household: Row,
    members: Sequence[Row],
    incomes: Sequence[Row] = (),
    *,
    context: CheckContext,
    maps: CodeMaps | None = None,
) -> list[Finding]:
    """Every enabled rule on one household given as plain dicts (current members only).

    Households whose status the county skips (e.g. 清退, 不予识别) yield nothing."""
    if household.get("status") in context.rules.skip_statuses:
        return []
    maps = maps or code_maps()
    sink = Sink(context.rules, household)
    for member in members:
        check_member(sink, member, context, maps)
    check_household_rows(sink, household, members, incomes, context, maps)
    return sink.found


def registry_of(
    households: Iterable[tuple[Row, Sequence[Row]]],
) -> dict[str, list[PersonRef]]:
    """ID key → members carrying it, for households given as (household, members) dicts; only
    numbers found in more than one household are kept (the duplicate-person check's input)."""
    holders: dict[str, list[PersonRef]] = {}
    for household, members in households:
        for m in members:
            key = id_key(m.get("id_number"))
            if key:
                holders.setdefault(key, []).append(
                    PersonRef(
                        str(household["id"]),
                        str(household.get("number") or ""),
                        str(m["id"]),
                        str(m.get("name") or ""),
                    )
                )
    return {k: v for k, v in holders.items() if len({p.household_id for p in v}) > 1}


def run_checks(
    db: Database,
    household_ids: Sequence[str] | None = None,
    *,
    rules: Rules | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Findings for the given households (None: the whole file), ordered by household number."""
    rules = rules or default_rules()
    today = today or date.today()
    with db.read() as conn:
        rows = load_rows(conn, household_ids, today)
    context = CheckContext(
        rules=rules,
        today=today,
        helped=rows.helped,
        last_visits=_visit_dates(rows.last_visits),
        registry=rows.registry,
    )
    maps = code_maps()
    findings: list[Finding] = []
    for household in sorted(rows.households, key=lambda h: str(h["number"])):
        hid = household["id"]
        findings += evaluate_household(
            household,
            rows.members.get(hid, ()),
            rows.incomes.get(hid, ()),
            context=context,
            maps=maps,
        )
    return findings


def _visit_dates(found: Mapping[str, str]) -> dict[str, date]:
    result: dict[str, date] = {}
    for household_id, text in found.items():
        try:
            result[household_id] = date.fromisoformat(str(text)[:10])
        except ValueError:
            continue
    return result


#: Findings kept by store_findings (mirrors targeting.registry.RULE_PREFIX; no import, no cycle).
_NOT_REGISTRY = "rule NOT LIKE 'registry.%'"


def store_findings(
    db: Database, findings: Sequence[Finding], household_ids: Sequence[str] | None = None
) -> int:
    """Replace the stored findings (all, or those of ``household_ids``) with ``findings``.

    The finding table is local and derived, so it is rewritten freely; callers pass the same
    household_ids they checked so other households' findings stay. Registry matches
    (``registry.*``) are not data checks: they come from the county's imported lists and are
    rewritten only by ``targeting.registry.refresh_registry_findings``, so they stay here.
    Returns rows written."""
    rows = [
        (f.household_id, f.member_id, f.rule, f.severity, f.field, f.message[:400])
        for f in findings
    ]
    with db.write_connection() as conn:
        if household_ids is None:
            conn.exec_driver_sql(f"DELETE FROM finding WHERE {_NOT_REGISTRY}")
        else:
            ids = list(dict.fromkeys(household_ids))
            for start in range(0, len(ids), CHUNK):
                part = ids[start : start + CHUNK]
                marks = ",".join("?" * len(part))
                conn.exec_driver_sql(
                    f"DELETE FROM finding WHERE household_id IN ({marks}) AND {_NOT_REGISTRY}",
                    tuple(part),
                )
        if rows:
            conn.exec_driver_sql(
                "INSERT INTO finding (household_id, member_id, rule, severity, field, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
    return len(rows)


def check_household(
    db: Database, household_id: str, *, rules: Rules | None = None, today: date | None = None
) -> list[Finding]:
    """Check one household and store its findings (call after the save's unit of work has
    committed: this opens its own write transaction)."""
    findings = run_checks(db, [household_id], rules=rules, today=today)
    store_findings(db, findings, [household_id])
    return findings
