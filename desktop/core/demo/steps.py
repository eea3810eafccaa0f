"""Dated step records of the identification, exit and monitoring procedures for demo households.

The step codes follow DOMAIN.md's procedures (the seed's 七步识别法, the exit procedure and the
monitoring procedure). Households being identified stop part-way, the way a live county looks;
others carry the full history of the year they were identified, exited or put under monitoring.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from desktop.core.demo import names
from desktop.core.demo.context import Context
from desktop.core.demo.household import HouseholdPlan

#: (code, label, who decides, is a vote, notice days)
IDENTIFICATION = (
    ("apply", "户申报", "head", False, 0),
    ("group_review", "小组议", "group", True, 0),
    ("village_review", "村评定", "village", True, 7),
    ("home_check", "入户查", "team", False, 0),
    ("verify", "逐级核", "township", False, 7),
    ("county_confirm", "县确认", "county", False, 7),
    ("city_check", "市抽查", "city", False, 0),
)
EXIT = (
    ("preselect", "初选", "village", False, 0),
    ("democratic_review", "民主评议", "village", True, 0),
    ("pre_exit", "预退出", "village", False, 0),
    ("home_check", "入户核实", "team", False, 0),
    ("household_sign", "农户签字确认", "head", False, 0),
    ("notice", "公示", "village", False, 7),
    ("approve", "批准", "county", False, 0),
    ("file", "备案", "county", False, 0),
)
MONITORING = (
    ("home_check", "入户核实", "team", False, 0),
    ("consent", "农户授权承诺", "head", False, 0),
    ("review_notice", "民主评议和公示", "village", True, 5),
    ("township_review", "乡镇初审", "township", False, 0),
    ("county_decide", "县级审定", "county", False, 0),
)
WORKFLOWS = {"identification": IDENTIFICATION, "exit": EXIT, "monitoring": MONITORING}


def steps(ctx: Context, plan: HouseholdPlan) -> None:
    rng, today, values = ctx.rng, ctx.today, plan.values
    if plan.status == "identifying":  # under way: never as far as 县确认, which would make it poor
        done = rng.randint(1, len(IDENTIFICATION) - 2)
        start = today - timedelta(days=rng.randint(30, 80))
        _workflow(ctx, plan, "identification", IDENTIFICATION[:done], start, may_return=True)
    elif values.get("identified_year") and ctx.chance(0.25):
        year = values["identified_year"]
        _workflow(ctx, plan, "identification", IDENTIFICATION, date(year, 9, rng.randint(1, 20)))
    if plan.status == "lifted" and values.get("exit_year") and ctx.chance(0.2):
        start = date(values["exit_year"], 10, rng.randint(1, 10))
        _workflow(ctx, plan, "exit", EXIT, start)
    if plan.monitoring_kind and values.get("monitoring_since"):
        # 县级审定 is the day monitoring starts (the procedure's on_pass sets monitoring_since)
        # ... normally within 15 days of the first lead
        start = values["monitoring_since"] - timedelta(days=14)
        decided = _workflow(ctx, plan, "monitoring", MONITORING, start, gap=(1, 2))
        if decided is not None:
            values["monitoring_since"] = decided


def _workflow(
    ctx: Context,
    plan: HouseholdPlan,
    workflow: str,
    sequence: tuple[tuple[str, str, str, bool, int], ...],
    start: date,
    may_return: bool = False,
    gap: tuple[int, int] = (1, 5),
) -> date | None:
    """Step records in order, as the procedure's rule file would accept them: a notice step is
    decided on or after its notice ends, having run at least its minimum days (both ends
    counted). Steps that would fall after today have not happened yet. Returns the last date."""
    rng = ctx.rng
    day, last_date = start, None
    for index, (code, label, decider, vote, notice_days) in enumerate(sequence):
        last = index == len(sequence) - 1
        returned = may_return and last and index > 0 and rng.random() < 0.1
        outcome = "returned" if returned else "passed"
        row: dict[str, Any] = {
            "id": ctx.uuid(),
            "household_id": plan.id,
            "workflow": workflow,
            "step": code,
            "decided_by": _decider(plan, decider),
            "outcome": outcome,
            "note": label + ("：材料不全，退回补充。" if outcome == "returned" else "：通过。"),
        }
        if vote:
            voters = rng.randint(15, 60)
            against = rng.randint(0, max(1, voters // 12))
            abstain = rng.randint(0, 3)
            row.update(
                votes_for=voters - against - abstain, votes_against=against, votes_abstain=abstain
            )
        decided = day
        if notice_days:
            end = day + timedelta(days=notice_days - 1 + rng.randint(0, 1))
            row.update(notice_start=day, notice_end=end, objections="公示期间无异议。")
            decided = end + timedelta(days=rng.randint(0, 1))
        if decided > ctx.today:
            break
        row["step_date"] = last_date = decided
        plan.steps.append(row)
        day = decided + timedelta(days=rng.randint(*gap))
    return last_date


def _decider(plan: HouseholdPlan, who: str) -> str:
    village = plan.village
    group = next((name for code, name in village.groups if code == plan.group_code), "")
    return {
        "head": "户主" + plan.head.name,
        "group": f"{village.name}{group}",
        "village": village.name + "村民委员会",
        "team": village.name + "驻村工作队",
        "township": village.township_name + "人民政府",
        "county": names.COUNTY_NAME + "乡村振兴局",
        "city": "黔南州乡村振兴局",
    }[who]
