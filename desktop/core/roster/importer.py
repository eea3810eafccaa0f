"""Import a checked roster into the database: dry run by default, one transaction with commit.

The plan (planner.py) is made inside the same transaction that applies it, so nothing can change
between the check and the write; a dry run makes the identical plan from a read connection and
writes nothing. Households with any error are skipped whole. New households go in with
``insert_many`` in chunks (the per-row service work — head, size, birth date from the ID — is done
in bulk by the planner); households that already exist get only their real differences written
through the services, so importing the same file twice writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.roster.helper_process import collect, helper_process, name_keys_for
from desktop.core.roster.planner import DbState, HouseholdPlan, Plan, Planner, load_state
from desktop.core.roster.reader import read_roster
from desktop.core.roster.report import ImportReport, RosterReport
from desktop.core.search import keys as search_keys
from desktop.core.services.errors import ValidationFailed
from desktop.core.services.households import refresh_summary
from desktop.core.services.uow import UnitOfWork

Progress = Callable[[int, int], None]
CHUNK = 1000


# ------------------------------------------------------------------------------------ apply
def _apply(uow: UnitOfWork, plan: Plan, report: ImportReport, progress: Progress | None) -> None:
    if plan.regions:
        order = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4, "group": 5}
        uow.insert_many("region", sorted(plan.regions, key=lambda r: order[r["level"]]))
    used = {p.helper_key for p in plan.households if p.helper_key is not None}
    new_helpers = [
        {k: v for k, v in h.items() if k != "new"}
        for i, h in enumerate(plan.helpers)
        if h["new"] and i in used
    ]
    if new_helpers:
        uow.insert_many("helper", new_helpers)
    for helper_id, values in plan.helper_updates:
        uow.update("helper", helper_id, values)
    report.helpers_created = len(new_helpers)
    report.regions_created = len(plan.regions)

    total = len(plan.households)
    fresh = [p for p in plan.households if p.existing is None]
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start : start + CHUNK]
        uow.insert_many("household", [p.household for p in chunk])
        uow.insert_many("member", [m for p in chunk for m in p.member_inserts])
        incomes = [p.income_insert for p in chunk if p.income_insert is not None]
        if incomes:
            uow.insert_many("income", incomes)
        assignments = [_assignment(plan, p) for p in chunk if p.assign_helper]
        if assignments:
            uow.insert_many("helper_assignment", assignments)
        for p in chunk:
            report.created.append(p.record.number or "")
            report.members_added += len(p.member_inserts)
        if progress is not None:
            progress(start + len(chunk), total)
    done = len(fresh)
    for p in plan.households:
        if p.existing is None:
            continue
        _apply_update(uow, plan, p, report)
        done += 1
        if progress is not None and done % CHUNK == 0:
            progress(done, total)
    if progress is not None:
        progress(total, total)


BULK_HOUSEHOLDS = 50  # from this size on, search is re-indexed in bulk


def _assignment(plan: Plan, p: HouseholdPlan) -> dict[str, Any]:
    helper = plan.helpers[p.helper_key or 0]
    return {"household_id": p.household_id, "helper_id": helper["id"], "start_date": date.today()}


def _apply_update(uow: UnitOfWork, plan: Plan, p: HouseholdPlan, report: ImportReport) -> None:
    number = p.record.number or ""
    if not p.changes:
        report.unchanged.append(number)
        return
    if p.household:
        uow.update("household", p.household_id, p.household)
    for values in p.member_inserts:
        uow.insert("member", values)
    for member_id, change in p.member_updates:
        uow.update("member", member_id, change)
    if p.member_inserts or p.member_updates:
        refresh_summary(uow, p.household_id)
    if p.income_insert is not None:
        uow.insert("income", p.income_insert)
    if p.income_update is not None:
        uow.update("income", *p.income_update)
    if p.assign_helper:
        uow.insert("helper_assignment", _assignment(plan, p))
    report.updated.append(number)
    report.members_added += len(p.member_inserts)
    report.members_updated += len(p.member_updates)


def _tally_dry_run(plan: Plan, report: ImportReport) -> None:
    for p in plan.households:
        number = p.record.number or ""
        if p.existing is None:
            report.created.append(number)
        elif p.changes:
            report.updated.append(number)
        else:
            report.unchanged.append(number)
        report.members_added += len(p.member_inserts)
        report.members_updated += len(p.member_updates)
    used = {p.helper_key for p in plan.households if p.helper_key is not None}
    report.helpers_created = sum(1 for i, h in enumerate(plan.helpers) if h["new"] and i in used)
    report.regions_created = len(plan.regions)


# ------------------------------------------------------------------------------------ entry
def _commit(
    db: Database,
    roster: RosterReport,
    validate: bool,
    progress: Progress | None,
    cadre: str | None,
    name_keys: Future[object] | None,
) -> ImportReport:
    report = ImportReport(roster, households_in_file=len(roster.households))
    started = time.perf_counter()
    # A large roster re-indexes search once at the end instead of by a trigger per row.
    try:
        with db.unit_of_work(cadre=cadre, bulk=len(roster.households) >= BULK_HOUSEHOLDS) as uow:
            first_seq = uow.next_seq
            plan = Planner(roster, load_state(uow.connection), validate).run()
            planned = time.perf_counter()
            _apply(uow, plan, report, progress)
            report.change_log_entries = uow.next_seq - first_seq
            seeded = collect(name_keys)
            if isinstance(seeded, dict):  # re-indexing search at commit then needs no pinyin
                search_keys.seed_name_keys(seeded)
            written = time.perf_counter()
    finally:
        search_keys.clear_seeded_name_keys()
    report.timings = {
        "plan": planned - started,
        "write": written - planned,
        "commit": time.perf_counter() - written,
    }
    report.committed = True
    return report


def import_roster(
    db: Database | None,
    path: str | Path,
    commit: bool = False,
    progress: Progress | None = None,
    cadre: str | None = None,
) -> ImportReport:
    """Read, check and (with ``commit``) import a roster in one transaction.

    Without ``commit`` nothing is written: the report says what would happen. ``db`` may be
    None for a dry run against an empty database. Raises RosterFileError for unreadable files."""
    if commit and db is None:
        raise ValueError("import_roster(commit=True) needs a database")
    with helper_process(Path(path)) as helper:
        return _read_and_import(db, Path(path), commit, progress, cadre, helper)


def _read_and_import(
    db: Database | None,
    path: Path,
    commit: bool,
    progress: Progress | None,
    cadre: str | None,
    helper: Executor | None,
) -> ImportReport:
    started = time.perf_counter()
    roster = read_roster(path, helper)
    read_seconds = time.perf_counter() - started
    report = ImportReport(roster, households_in_file=len(roster.households))
    if not commit or roster.blocking or db is None:
        if db is None:
            state = DbState()
        else:
            with db.read() as conn:
                state = load_state(conn)
        plan = Planner(roster, state).run()
        _tally_dry_run(plan, report)
    else:
        try:
            # The cell checks already cover what the services check, so the commit skips the
            # duplicate validation pass (a quarter of the import time); should a row still be
            # refused, the transaction rolls back whole and the import reruns with every row
            # checked first, skipping the refused households.
            keys = _name_keys_away(helper, roster)
            report = _commit(db, roster, False, progress, cadre, keys)
        except ValidationFailed:
            report = _commit(db, roster, True, progress, cadre, None)
    report.skipped = [
        h.number or _("第{row}行").format(row=h.row) for h in roster.households if h.failed
    ]
    report.seconds = time.perf_counter() - started
    report.timings = {"read": read_seconds, **report.timings}
    return report


def _name_keys_away(helper: Executor | None, roster: RosterReport) -> Future[object] | None:
    """Start the helper on the members' name keys (pinyin) while this process writes rows."""
    if helper is None:
        return None
    names = sorted(
        {
            m.values["name"]
            for h in roster.households
            for m in h.members
            if isinstance(m.values.get("name"), str)
        }
    )
    try:
        return helper.submit(name_keys_for, names)
    except RuntimeError:
        return None


__all__ = ["import_roster"]
