"""Everything one household's ledger prints, read in one short read-only session.

The data version printed on every page is a hash over the stamps of every row and field of the
household (rows' ``created_hlc`` and their ``field_stamp`` entries). Stamps survive change-log
pruning and change with any edit, so a paper copy can be matched to the data it came from.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from desktop.core.models import (
    Commitment,
    Helper,
    HelperAssignment,
    Household,
    Income,
    Member,
    Photo,
    Region,
    StepRecord,
    Visit,
)
from desktop.core.targeting.exit_check import ExitChecklist
from desktop.ledger.lookup import Place, place_of

#: Households whose ledger prints the exit checklist in 帮扶成效: those who may exit (poor,
#: relapsed) and those who did (lifted: the book shows what the exit rested on).
CHECKLIST_STATUSES = ("poor", "relapsed", "lifted")


@dataclass
class HouseholdFile:
    """One household and its records, in print order."""

    household: Household
    place: Place
    group_name: str
    members: list[Member]
    incomes: list[Income]
    assignments: list[tuple[HelperAssignment, Helper | None]]
    commitments: list[Commitment]
    visits: list[Visit]
    photos: list[Photo]
    steps: list[StepRecord]
    helpers: dict[str, Helper] = field(default_factory=dict)
    exit_checklist: ExitChecklist | None = None  # 一出三不出 for households poor, relapsed, lifted
    version: str = ""
    version_time: datetime | None = None

    @property
    def current_members(self) -> list[Member]:
        return [m for m in self.members if not m.left_reason]

    @property
    def departed_members(self) -> list[Member]:
        return [m for m in self.members if m.left_reason]


def _live(model: Any) -> Any:
    """Not voided: printed books show what stands, not withdrawn records."""
    return col(model.voided).is_(False)


def load_household(
    session: Session, household_id: str, place: Place | None = None
) -> HouseholdFile:
    """Read a household and all its records (voided records left out)."""
    found = load_households(session, [household_id], place)
    if not found:
        raise LookupError(household_id)
    return found[0]


def _grouped(session: Session, model: Any, ids: Sequence[str], *order: Any) -> dict[str, list]:
    """Live rows of ``model`` for the given households, grouped by household, in order."""
    rows: dict[str, list] = defaultdict(list)
    query = select(model).where(col(model.household_id).in_(ids), _live(model)).order_by(*order)
    for row in session.exec(query):
        rows[row.household_id].append(row)
    return rows


def load_households(
    session: Session, household_ids: Sequence[str], place: Place | None = None
) -> list[HouseholdFile]:
    """Read several households with one query per table (a village book reads them in
    batches; a query per household and table made loading a third of the printing time)."""
    households = {
        h.id: h for h in session.exec(select(Household).where(col(Household.id).in_(household_ids)))
    }
    ids = [i for i in household_ids if i in households]
    if not ids:
        return []
    members = _grouped(session, Member, ids, col(Member.sort_order), col(Member.created_hlc))
    incomes = _grouped(session, Income, ids, col(Income.year))
    assignments = _grouped(session, HelperAssignment, ids, col(HelperAssignment.start_date))
    commitments = _grouped(
        session, Commitment, ids, col(Commitment.due_date), col(Commitment.created_hlc)
    )
    visits = _grouped(session, Visit, ids, col(Visit.visit_date), col(Visit.created_hlc))
    photos = _grouped(session, Photo, ids, col(Photo.taken_at), col(Photo.created_hlc))
    steps = _grouped(
        session,
        StepRecord,
        ids,
        col(StepRecord.workflow),
        col(StepRecord.step_date),
        col(StepRecord.created_hlc),
    )
    helper_ids = {a.helper_id for rows in assignments.values() for a in rows}
    helper_ids |= {c.helper_id for rows in commitments.values() for c in rows if c.helper_id}
    helper_ids |= {v.helper_id for rows in visits.values() for v in rows if v.helper_id}
    helpers = (
        {h.id: h for h in session.exec(select(Helper).where(col(Helper.id).in_(helper_ids)))}
        if helper_ids
        else {}
    )
    group_codes = {households[i].group_code for i in ids if households[i].group_code}
    groups = (
        dict(
            session.exec(
                select(Region.code, Region.name).where(col(Region.code).in_(group_codes))
            ).all()
        )
        if group_codes
        else {}
    )
    places: dict[str, Place] = {place.code: place} if place else {}
    files = []
    for hid in ids:
        household = households[hid]
        village = household.village_code
        if village not in places:
            places[village] = place_of(session, village)
        files.append(
            HouseholdFile(
                household=household,
                place=places[village],
                group_name=groups.get(household.group_code or "", household.group_code or ""),
                members=members[hid],
                incomes=incomes[hid],
                assignments=[(a, helpers.get(a.helper_id)) for a in assignments[hid]],
                commitments=commitments[hid],
                visits=visits[hid],
                photos=photos[hid],
                steps=steps[hid],
                helpers=helpers,
            )
        )
    versions = data_versions(session, files)
    for data in files:
        data.version, data.version_time = versions[data.household.id]
    _attach_checklists(session, files)
    return files


def _attach_checklists(session: Session, files: Sequence[HouseholdFile]) -> None:
    """The exit checklist, from the same facts the app shows (one bulk read for all)."""
    from desktop.core.targeting.config import default_config
    from desktop.core.targeting.exit_check import exit_checklist
    from desktop.core.targeting.facts import load_facts_on

    wanted = [d.household.id for d in files if d.household.status in CHECKLIST_STATUSES]
    if not wanted:
        return
    config, today = default_config(), date.today()
    by_id = {f.id: f for f in load_facts_on(session.connection(), wanted)}
    for data in files:
        facts = by_id.get(data.household.id)
        if facts is not None:
            data.exit_checklist = exit_checklist(facts, config, today)


def _rows_of(data: HouseholdFile) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [("household", data.household)]
    rows += [("member", m) for m in data.members]
    rows += [("income", i) for i in data.incomes]
    rows += [("helper_assignment", a) for a, _h in data.assignments]
    rows += [("commitment", c) for c in data.commitments]
    rows += [("visit", v) for v in data.visits]
    rows += [("photo", p) for p in data.photos]
    rows += [("step_record", s) for s in data.steps]
    return rows


def data_versions(
    session: Session, files: Sequence[HouseholdFile]
) -> dict[str, tuple[str, datetime | None]]:
    """Per household: (first 8 hex of sha256 over all its stamps, time of the newest stamp)."""
    owner: dict[str, str] = {}
    stamps: dict[str, list[str]] = {}
    for data in files:
        hid = data.household.id
        stamps[hid] = []
        for tbl, row in _rows_of(data):
            owner[row.id] = hid
            stamps[hid].append(f"{tbl}:{row.id}:*:{row.created_hlc}")
    ids = list(owner)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join(f":i{n}" for n in range(len(chunk)))
        query = text(f"SELECT tbl, row_id, field, hlc FROM field_stamp WHERE row_id IN ({marks})")
        params = {f"i{n}": value for n, value in enumerate(chunk)}
        for t, r, f, h in session.connection().execute(query, params):
            stamps[owner[r]].append(f"{t}:{r}:{f}:{h}")
    result = {}
    for hid, entries in stamps.items():
        entries.sort()
        digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:8]
        newest = max((e.rsplit(":", 1)[1] for e in entries), default="")
        result[hid] = (digest, stamp_time(newest))
    return result


def stamp_time(stamp: str) -> datetime | None:
    """The wall-clock time in a clock stamp ("{ms}.{counter}.{device}")."""
    try:
        return datetime.fromtimestamp(int(stamp.split(".", 1)[0]) / 1000)
    except (ValueError, OSError):
        return None


def stamp_date(stamp: str) -> date | None:
    moment = stamp_time(stamp)
    return moment.date() if moment else None
