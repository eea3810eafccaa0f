"""Everything one household's ledger prints, read in one short read-only session.

The data version printed on every page is a hash over the stamps of every row and field of the
household (rows' ``created_hlc`` and their ``field_stamp`` entries). Stamps survive change-log
pruning and change with any edit, so a paper copy can be matched to the data it came from.
"""

from __future__ import annotations

import hashlib
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
from desktop.ledger.lookup import Place, place_of


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
    household = session.get(Household, household_id)
    if household is None:
        raise LookupError(household_id)
    hid = household.id
    if place is None or place.code != household.village_code:
        place = place_of(session, household.village_code)
    group_name = ""
    if household.group_code:
        name = session.exec(select(Region.name).where(Region.code == household.group_code)).first()
        group_name = name or household.group_code
    members = list(
        session.exec(
            select(Member)
            .where(Member.household_id == hid, _live(Member))
            .order_by(col(Member.sort_order), col(Member.created_hlc))
        )
    )
    incomes = list(
        session.exec(
            select(Income)
            .where(Income.household_id == hid, _live(Income))
            .order_by(col(Income.year))
        )
    )
    assignment_rows = list(
        session.exec(
            select(HelperAssignment)
            .where(HelperAssignment.household_id == hid, _live(HelperAssignment))
            .order_by(col(HelperAssignment.start_date))
        )
    )
    commitments = list(
        session.exec(
            select(Commitment)
            .where(Commitment.household_id == hid, _live(Commitment))
            .order_by(col(Commitment.due_date), col(Commitment.created_hlc))
        )
    )
    visits = list(
        session.exec(
            select(Visit)
            .where(Visit.household_id == hid, _live(Visit))
            .order_by(col(Visit.visit_date), col(Visit.created_hlc))
        )
    )
    photos = list(
        session.exec(
            select(Photo)
            .where(Photo.household_id == hid, _live(Photo))
            .order_by(col(Photo.taken_at), col(Photo.created_hlc))
        )
    )
    steps = list(
        session.exec(
            select(StepRecord)
            .where(StepRecord.household_id == hid, _live(StepRecord))
            .order_by(
                col(StepRecord.workflow), col(StepRecord.step_date), col(StepRecord.created_hlc)
            )
        )
    )
    helper_ids = {a.helper_id for a in assignment_rows}
    helper_ids |= {c.helper_id for c in commitments if c.helper_id}
    helper_ids |= {v.helper_id for v in visits if v.helper_id}
    helpers = (
        {h.id: h for h in session.exec(select(Helper).where(col(Helper.id).in_(helper_ids)))}
        if helper_ids
        else {}
    )
    data = HouseholdFile(
        household=household,
        place=place,
        group_name=group_name,
        members=members,
        incomes=incomes,
        assignments=[(a, helpers.get(a.helper_id)) for a in assignment_rows],
        commitments=commitments,
        visits=visits,
        photos=photos,
        steps=steps,
        helpers=helpers,
    )
    data.version, data.version_time = data_version(session, data)
    return data


def data_version(session: Session, data: HouseholdFile) -> tuple[str, datetime | None]:
    """(first 8 hex of sha256 over all stamps, time of the newest stamp)."""
    rows: list[tuple[str, object]] = [("household", data.household)]
    rows += [("member", m) for m in data.members]
    rows += [("income", i) for i in data.incomes]
    rows += [("helper_assignment", a) for a, _h in data.assignments]
    rows += [("commitment", c) for c in data.commitments]
    rows += [("visit", v) for v in data.visits]
    rows += [("photo", p) for p in data.photos]
    rows += [("step_record", s) for s in data.steps]
    stamps = [f"{tbl}:{row.id}:*:{row.created_hlc}" for tbl, row in rows]  # type: ignore[attr-defined]
    ids = [row.id for _tbl, row in rows]  # type: ignore[attr-defined]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join(f":i{n}" for n in range(len(chunk)))
        query = text(f"SELECT tbl, row_id, field, hlc FROM field_stamp WHERE row_id IN ({marks})")
        params = {f"i{n}": value for n, value in enumerate(chunk)}
        stamps += [f"{t}:{r}:{f}:{h}" for t, r, f, h in session.connection().execute(query, params)]
    stamps.sort()
    digest = hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:8]
    newest = max((s.rsplit(":", 1)[1] for s in stamps), default="")
    return digest, stamp_time(newest)


def stamp_time(stamp: str) -> datetime | None:
    """The wall-clock time in a clock stamp ("{ms}.{counter}.{device}")."""
    try:
        return datetime.fromtimestamp(int(stamp.split(".", 1)[0]) / 1000)
    except (ValueError, OSError):
        return None


def stamp_date(stamp: str) -> date | None:
    moment = stamp_time(stamp)
    return moment.date() if moment else None
