"""Generate the demo county into a database, through the unit of work like any other write.

Households are planned in pure Python from one seeded random stream and written in batches of a
few thousand rows per transaction (``insert_many``), so 10,000 households take seconds and the
change log records every row as if a cadre had typed it. Progress is reported after each batch
and a cancel request is honoured between batches (what was written stays, consistently).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import text

import desktop.core.services  # noqa: F401  (installs the validators on the unit of work)
from desktop.core.demo import household as household_mod
from desktop.core.demo import problems as problems_mod
from desktop.core.demo import records, steps
from desktop.core.demo.context import Context
from desktop.core.demo.helpers import HelperPlan, village_helpers
from desktop.core.demo.household import HouseholdPlan
from desktop.core.demo.identity import IdNumbers
from desktop.core.demo.names import COUNTY_CODE
from desktop.core.demo.people import FamilyBuilder
from desktop.core.demo.places import County, Village, build_county
from desktop.core.demo.problems import PlantedProblem
from desktop.core.i18n import _
from desktop.core.rules.rulefile import Rules, default_rules
from desktop.core.services.errors import ServiceError

if TYPE_CHECKING:
    from desktop.core.database import Database
    from desktop.core.demo.photos import DemoCamera

BATCH_HOUSEHOLDS = 200  # about 3,000–4,000 rows per transaction
MAX_HOUSEHOLDS = 1_000_000
CADRE = "示范数据"
TABLE_ORDER = (
    "household",
    "member",
    "income",
    "helper_assignment",
    "visit",
    "commitment",
    "step_record",
)

ProgressCallback = Callable[[int, int], None]


class DemoCancelled(ServiceError):
    """Generation stopped on request. Whole batches written so far stay (``summary`` says what);
    callers that want all-or-nothing generate into a scratch file and discard it."""

    def __init__(self, summary: DemoSummary) -> None:
        super().__init__(
            _("已取消生成示范县，已写入 {households} 户。").format(households=summary.households)
        )
        self.summary = summary


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class DemoSummary:
    """What was generated; ``planted`` lists the deliberate data problems for the checks."""

    seed: int
    county_code: str
    county_name: str
    households: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    planted: list[PlantedProblem] = field(default_factory=list)
    photos: int = 0
    seconds: float = 0.0
    cancelled: bool = False

    @property
    def members(self) -> int:
        return self.counts.get("member", 0)


def generate_demo(
    db: Database,
    households: int,
    seed: int,
    photos: bool = False,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | CancelFlag | None = None,
    *,
    today: date | None = None,
    rules: Rules | None = None,
    batch_size: int = BATCH_HOUSEHOLDS,
) -> DemoSummary:
    """Fill an empty database with a demo county of ``households`` households.

    The same seed (and reference day ``today``) always gives the same data, row ids included;
    ``batch_size`` (households per transaction and per progress report) does not change the data.
    ``cancel`` is a callable returning True, or an object with ``is_set()`` (threading.Event);
    when it fires, generation stops between batches and raises DemoCancelled.
    """
    started = time.perf_counter()
    if (
        isinstance(households, bool)
        or not isinstance(households, int)
        or not (1 <= households <= MAX_HOUSEHOLDS)
    ):
        raise ServiceError(_("户数应为 1 到 {max} 之间的整数。").format(max=f"{MAX_HOUSEHOLDS:,}"))
    _refuse_non_empty(db)
    ctx = Context(
        rng=random.Random(f"doorstep-demo:{seed}"),
        today=today or date.today(),
        ids=IdNumbers(COUNTY_CODE),
        county_code=COUNTY_CODE,
        rules=rules or default_rules(),
    )
    county = build_county(ctx, households)
    helpers = {village.code: village_helpers(ctx, village) for village in county.villages}
    slots = problems_mod.planted_slots(ctx, households)
    summary = DemoSummary(seed, county.code, county.name)
    _write_places(db, county, helpers, summary)
    is_cancelled = _cancel_check(cancel)
    camera = _camera(db, seed) if photos else None
    batch: list[HouseholdPlan] = []
    try:
        for plan in _plans(ctx, county, helpers, slots):
            batch.append(plan)
            if len(batch) < max(1, batch_size):
                continue
            if is_cancelled():
                summary.cancelled = True
                break
            _write_batch(db, batch, summary, camera)
            batch = []
            if progress:
                progress(summary.households, households)
        if batch and not summary.cancelled:
            _write_batch(db, batch, summary, camera)
            if progress:
                progress(summary.households, households)
    finally:
        if camera is not None:
            camera.close()
    summary.seconds = time.perf_counter() - started
    if summary.cancelled:
        raise DemoCancelled(summary)
    return summary


def _plans(
    ctx: Context,
    county: County,
    helpers: dict[str, list[HelperPlan]],
    slots: dict[int, problems_mod.Kind],
) -> Iterator[HouseholdPlan]:
    """Every household of the county in order, village by village."""
    builder = FamilyBuilder(ctx)
    position = 0
    for village in county.villages:
        pool = helpers[village.code]
        for serial in range(1, village.households + 1):
            yield _plan(ctx, builder, village, serial, pool, slots.get(position))
            position += 1


def _plan(
    ctx: Context,
    builder: FamilyBuilder,
    village: Village,
    serial: int,
    pool: list[HelperPlan],
    kind: problems_mod.Kind | None,
) -> HouseholdPlan:
    if kind is None:
        status, monitoring = household_mod.choose_status(ctx)
        members = builder.family()
    else:
        status, monitoring = kind.status, None
        members = builder.family(kind.shape)
    plan = HouseholdPlan(
        id=ctx.uuid(),
        number=f"{village.code}{serial:04d}",
        village=village,
        group_code=household_mod.group_for(ctx, village),
        members=members,
        status=status,
        monitoring_kind=monitoring,
        income_profile=household_mod.income_profile(status, monitoring),
        helper=pool[(serial - 1) % len(pool)],
    )
    member = kind.members(ctx, builder, plan) if kind and kind.members else None
    household_mod.describe(ctx, plan)
    if kind and kind.household:
        kind.household(ctx, plan)
    previous = pool[serial % len(pool)].id if ctx.chance(0.08) else None
    records.assignments(ctx, plan, previous)
    records.incomes(ctx, plan)
    records.visits(ctx, plan)
    records.commitments(ctx, plan)
    steps.steps(ctx, plan)
    if kind and kind.records:
        kind.records(ctx, plan)
    if kind:
        plan.planted = problems_mod.record(kind, plan, member)
    return plan


def _write_places(
    db: Database, county: County, helpers: dict[str, list[HelperPlan]], summary: DemoSummary
) -> None:
    helper_rows = [h.row() for pool in helpers.values() for h in pool]
    region_rows = [
        {**row, "id": _region_id(summary.seed, row["code"])} for row in county.region_rows()
    ]
    with db.unit_of_work(cadre=CADRE) as uow:
        uow.insert_many("region", region_rows)
        uow.insert_many("helper", helper_rows)
    summary.counts["region"] = len(region_rows)
    summary.counts["helper"] = len(helper_rows)


def _region_id(seed: int, code: str) -> str:
    """Region ids depend on the code alone (and the seed), so places keep their ids whatever
    the number of households."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"doorstep-demo:{seed}:region:{code}"))


def _write_batch(
    db: Database, batch: list[HouseholdPlan], summary: DemoSummary, camera: DemoCamera | None
) -> None:
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLE_ORDER}
    for plan in batch:
        rows["household"].append(plan.household_row())
        rows["member"].extend(plan.member_rows())
        rows["income"].extend(plan.incomes)
        rows["helper_assignment"].extend(plan.assignments)
        rows["visit"].extend(plan.visits)
        rows["commitment"].extend(plan.commitments)
        rows["step_record"].extend(plan.steps)
    photo_rows = camera.photograph(batch) if camera else []
    with db.unit_of_work(cadre=CADRE, bulk=True) as uow:
        for table in TABLE_ORDER:
            uow.insert_many(table, rows[table])
        if photo_rows:
            uow.insert_many("photo", photo_rows)
    for table in TABLE_ORDER:
        summary.counts[table] = summary.counts.get(table, 0) + len(rows[table])
    summary.planted.extend(plan.planted for plan in batch if plan.planted)
    summary.photos += len(photo_rows)
    summary.counts["photo"] = summary.photos
    summary.households += len(batch)


def _camera(db: Database, seed: int) -> DemoCamera:
    from desktop.core.demo.photos import DemoCamera

    return DemoCamera(db, seed)


def _refuse_non_empty(db: Database) -> None:
    with db.read() as conn:
        found = conn.execute(text("SELECT 1 FROM household LIMIT 1")).first()
        regions = conn.execute(text("SELECT 1 FROM region LIMIT 1")).first()
    if found is not None or regions is not None:
        raise ServiceError(
            _("这个数据库里已经有数据。示范县只能生成到新的空数据库里，请换一个文件名。")
        )


def _cancel_check(cancel: Callable[[], bool] | CancelFlag | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    is_set = getattr(cancel, "is_set", None)
    if callable(is_set):
        return lambda: bool(is_set())
    return lambda: bool(cancel())  # type: ignore[operator]
