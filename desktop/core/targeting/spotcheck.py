"""Spot checks (市抽查 / third-party evaluation): reproducible samples and their results.

A sample is drawn with ``random.Random(seed)`` over the area's households sorted by household
number, so anyone with the same data, area, size and seed re-draws exactly the same households —
the county can verify a township's draw. Results are synced, append-only ``spot_check`` rows
written through the unit of work; a correction is a new row (the latest counts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.core.services.uow import UnitOfWork
from desktop.core.targeting.facts import rows

RESULTS = {"match": "符合", "mismatch": "不符合", "unverified": "无法核实"}


def result_label(code: str) -> str:
    return _(RESULTS.get(code, code))


@dataclass(frozen=True)
class SampleHousehold:
    household_id: str
    number: str
    head_name: str
    village_code: str
    status: str


@dataclass(frozen=True)
class Sample:
    sample_id: str
    area_code: str
    seed: int
    size: int
    population: int
    households: tuple[SampleHousehold, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "area_code": self.area_code,
            "seed": self.seed,
            "size": self.size,
            "population": self.population,
            "households": [h.__dict__ for h in self.households],
        }


def draw_sample(
    db: Database,
    *,
    size: int,
    seed: int,
    village: str | None = None,
    township: str | None = None,
    statuses: tuple[str, ...] | None = None,
) -> Sample:
    """Draw ``size`` households of a village or township (optionally of some statuses)."""
    if (village is None) == (township is None):
        raise ServiceError(_("请指定一个村或一个乡镇进行抽查。"))
    if size <= 0:
        raise ServiceError(_("抽查户数应大于0。"))
    column, code = ("village_code", village) if village else ("township_code", township)
    sql = (
        "SELECT id, number, head_name, village_code, status FROM household "
        f"WHERE voided = 0 AND {column} = ?"
    )
    params: list[Any] = [code]
    if statuses:
        sql += f" AND status IN ({','.join('?' * len(statuses))})"
        params += list(statuses)
    with db.read() as conn:
        population = rows(conn, sql, params)
    population.sort(key=lambda r: str(r["number"]))
    if not population:
        raise ServiceError(_("{code} 没有可抽查的农户。").format(code=code))
    if size > len(population):
        raise ServiceError(
            _("只有{total}户可抽，不能抽{size}户。").format(total=len(population), size=size)
        )
    drawn = random.Random(seed).sample(population, size)
    status_part = "+".join(statuses) if statuses else "all"
    return Sample(
        sample_id=f"{code}-{status_part}-{size}-{seed}",
        area_code=str(code),
        seed=seed,
        size=size,
        population=len(population),
        households=tuple(
            SampleHousehold(r["id"], r["number"], r["head_name"], r["village_code"], r["status"])
            for r in drawn
        ),
    )


def record_spot_check(
    uow: UnitOfWork,
    household_id: str,
    *,
    drawn_by: str,
    seed: int,
    sample_id: str,
    check_date: date,
    result: str,
    note: str | None = None,
) -> str:
    """Record one household's spot-check result; returns the record id."""
    code = (
        result if result in RESULTS else next((k for k, v in RESULTS.items() if v == result), None)
    )
    if code is None:
        raise ServiceError(
            _("抽查结果应为：{known}，现在是“{value}”。").format(
                known="、".join(RESULTS.values()), value=result
            )
        )
    if not (drawn_by or "").strip():
        raise ServiceError(_("请填写抽查单位或人员。"))
    household = uow.get("household", household_id)
    if household.get("voided"):
        raise ServiceError(_("这一户已作废，不能记录抽查结果。"))
    if code == "mismatch" and not (note or "").strip():
        raise ServiceError(_("结果为不符合时，请在备注中写明不符合的情况。"))
    return uow.insert(
        "spot_check",
        {
            "household_id": household_id,
            "drawn_by": drawn_by.strip(),
            "seed": seed,
            "sample_id": sample_id,
            "check_date": check_date,
            "result": code,
            "note": (note or "").strip() or None,
        },
    )


@dataclass(frozen=True)
class SpotCheckResult:
    household_id: str
    number: str
    head_name: str
    result: str | None  # latest result; None = not yet checked
    check_date: date | None
    note: str


def sample_results(db: Database, sample: Sample) -> list[SpotCheckResult]:
    """The latest result recorded for each household of a sample, in draw order."""
    with db.read() as conn:
        recorded = rows(
            conn,
            "SELECT household_id, result, check_date, note FROM spot_check "
            "WHERE voided = 0 AND sample_id = ? ORDER BY check_date, created_hlc",
            [sample.sample_id],
        )
    latest = {r["household_id"]: r for r in recorded}
    out = []
    for h in sample.households:
        found = latest.get(h.household_id)
        out.append(
            SpotCheckResult(
                h.household_id,
                h.number,
                h.head_name,
                found["result"] if found else None,
                date.fromisoformat(str(found["check_date"])[:10]) if found else None,
                (found or {}).get("note") or "",
            )
        )
    return out
