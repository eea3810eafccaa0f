"""Procedures: order, returns, failures, notices, votes, status changes and deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from desktop.core.database import Database
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.config import default_config
from desktop.core.targeting.workflows import record_step, workflow_state
from tests.unit.targeting_builder import TODAY, make_household

D = date(2026, 9, 1)


def step(
    db: Database,
    hid: str,
    workflow: str,
    code: str,
    day: date,
    outcome: str = "passed",
    **extra: Any,
) -> Any:
    with db.unit_of_work(cadre="测试员") as uow:
        return record_step(
            uow, hid, workflow, code, day, outcome, extra.pop("by", "村委会"), today=TODAY, **extra
        )


VOTE = {"votes_for": 30, "votes_against": 2, "votes_abstain": 1}


def notice(start: date, days: int = 7) -> dict[str, Any]:
    return {"notice_start": start, "notice_end": start + timedelta(days=days - 1)}


def status_of(db: Database, hid: str) -> dict[str, Any]:
    with db.read() as conn:
        row = (
            conn.exec_driver_sql(
                "SELECT status, identified_year, exit_year, monitoring_kind, monitoring_since, "
                "risk_type FROM household WHERE id = ?",
                (hid,),
            )
            .mappings()
            .one()
        )
    return dict(row)


def identify(db: Database, hid: str, until: str = "city_check") -> date:
    """Pass the seven steps up to and including ``until``; returns the last date used."""
    plan = [
        ("apply", {}),
        ("group_review", VOTE),
        ("village_review", {**VOTE, **notice(D + timedelta(days=2))}),
        ("home_check", {}),
        ("verify", notice(D + timedelta(days=12))),
        ("county_confirm", notice(D + timedelta(days=20))),
        ("city_check", {}),
    ]
    day = D
    for code, extra in plan:
        if "notice_end" in extra:
            day = extra["notice_end"]
        step(db, hid, "identification", code, day, **extra)
        if code == until:
            return day
        day += timedelta(days=1)
    return day


def test_seven_steps_in_order_make_the_household_poor(db: Database, village: str) -> None:
    hid = make_household(db, village)
    state = workflow_state(db, hid, today=TODAY)
    assert state.state == "not_started" and state.next_step and state.next_step.label == "户申报"
    identify(db, hid, until="verify")
    assert status_of(db, hid)["status"] == "identifying"
    state = workflow_state(db, hid, today=TODAY)
    assert state.next_step and state.next_step.label == "县确认"
    assert [s.done for s in state.steps] == [True] * 5 + [False] * 2
    identify_rest = step(
        db, hid, "identification", "county_confirm", date(2026, 9, 30), **notice(date(2026, 9, 22))
    )
    assert identify_rest.household_status == "poor"
    assert status_of(db, hid)["identified_year"] == 2026
    step(db, hid, "identification", "市抽查", date(2026, 10, 2))
    state = workflow_state(db, hid, today=TODAY)
    assert state.state == "completed" and len(state.history) == 7
    # a poor household cannot start identification again
    assert state.blocked and "未脱贫" in state.blocked[0]


def test_out_of_order_steps_are_refused_with_a_reason(db: Database, village: str) -> None:
    hid = make_household(db, village)
    with pytest.raises(ServiceError, match="应先记录“户申报”"):
        step(db, hid, "identification", "group_review", D, **VOTE)
    step(db, hid, "identification", "apply", D)
    with pytest.raises(ServiceError, match="现在应记录“小组议”，不能记录“入户查”"):
        step(db, hid, "identification", "home_check", D)
    with pytest.raises(ServiceError, match="早于上一步"):
        step(db, hid, "identification", "group_review", D - timedelta(days=1), **VOTE)
    with pytest.raises(ServiceError, match="不是“七步识别法”的步骤"):
        step(db, hid, "identification", "县长拍板", D)
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM step_record").scalar() == 1


def test_a_return_reopens_the_previous_step(db: Database, village: str) -> None:
    hid = make_household(db, village)
    last = identify(db, hid, until="home_check")
    step(db, hid, "identification", "verify", last + timedelta(days=1), "退回", note="材料不全")
    state = workflow_state(db, hid, today=TODAY)
    assert state.next_step and state.next_step.code == "home_check"
    assert [s.done for s in state.steps][:4] == [True, True, True, False]
    with pytest.raises(ServiceError, match="现在应记录“入户查”"):
        step(db, hid, "identification", "verify", last + timedelta(days=2), **notice(last))
    step(db, hid, "identification", "home_check", last + timedelta(days=2))
    assert workflow_state(db, hid, today=TODAY).next_step.code == "verify"  # type: ignore[union-attr]
    assert status_of(db, hid)["status"] == "identifying"


def test_the_first_step_cannot_be_returned(db: Database, village: str) -> None:
    hid = make_household(db, village)
    with pytest.raises(ServiceError, match="第一步"):
        step(db, hid, "identification", "apply", D, "returned")


def test_failing_a_step_marks_not_identified_and_a_new_round_can_start(
    db: Database, village: str
) -> None:
    hid = make_household(db, village)
    step(db, hid, "identification", "apply", D)
    result = step(
        db, hid, "identification", "group_review", D, "不通过", votes_for=3, votes_against=25
    )
    assert result.household_status == "not_identified" and result.state == "failed"
    with pytest.raises(ServiceError, match="应先记录“户申报”"):
        step(db, hid, "identification", "village_review", D)
    again = step(db, hid, "identification", "apply", D + timedelta(days=30))
    assert again.household_status == "identifying" and again.next_step == "group_review"


def test_votes_and_notices_are_checked(db: Database, village: str) -> None:
    hid = make_household(db, village)
    step(db, hid, "identification", "apply", D)
    with pytest.raises(ServiceError, match="须记录表决结果"):
        step(db, hid, "identification", "group_review", D)
    with pytest.raises(ServiceError, match="未超过投票总数的一半"):
        step(
            db,
            hid,
            "identification",
            "group_review",
            D,
            votes_for=10,
            votes_against=8,
            votes_abstain=5,
        )
    with pytest.raises(ServiceError, match="不是公示步骤"):
        step(db, hid, "identification", "group_review", D, **VOTE, **notice(D))
    step(db, hid, "identification", "group_review", D, **VOTE)
    with pytest.raises(ServiceError, match="请填写公示开始和结束日期"):
        step(db, hid, "identification", "village_review", D, **VOTE)
    with pytest.raises(ServiceError, match="公示期只有6天"):
        step(
            db,
            hid,
            "identification",
            "village_review",
            D + timedelta(days=6),
            **VOTE,
            **notice(D + timedelta(days=1), days=6),
        )
    with pytest.raises(ServiceError, match="不能在.*记录为通过"):
        step(
            db,
            hid,
            "identification",
            "village_review",
            D + timedelta(days=2),
            **VOTE,
            **notice(D + timedelta(days=1)),
        )
    with pytest.raises(ServiceError, match="由谁决定"):
        step(
            db,
            hid,
            "identification",
            "village_review",
            D + timedelta(days=7),
            **VOTE,
            **notice(D + timedelta(days=1)),
            by=" ",
        )
    step(
        db,
        hid,
        "identification",
        "village_review",
        D + timedelta(days=7),
        **VOTE,
        **notice(D + timedelta(days=1)),
        objections="无异议",
    )
    entry = workflow_state(db, hid, today=TODAY).history[-1]
    assert entry.notice_start == D + timedelta(days=1) and entry.objections == "无异议"
    assert entry.votes == (30, 2, 1)


def test_exit_approval_lifts_the_household_with_the_exit_year(db: Database, village: str) -> None:
    hid = make_household(db, village, status="poor")
    codes = [
        "preselect",
        "democratic_review",
        "pre_exit",
        "home_check",
        "household_sign",
        "notice",
        "approve",
    ]
    day = D
    for code in codes:
        extra: dict[str, Any] = {}
        if code == "democratic_review":
            extra = VOTE
        if code == "notice":
            extra = notice(day)
            day = extra["notice_end"]
        result = step(db, hid, "exit", code, day, **extra)
        day += timedelta(days=1)
    assert result.household_status == "lifted"
    assert status_of(db, hid)["exit_year"] == 2026
    assert result.next_step == "file"


def test_exit_cannot_start_for_a_household_not_poor(db: Database, village: str) -> None:
    hid = make_household(db, village, status="identifying")
    with pytest.raises(ServiceError, match="不能开始“脱贫退出”"):
        step(db, hid, "exit", "preselect", D)


def _monitor(db: Database, hid: str, start: date, kind: str | None) -> Any:
    step(db, hid, "monitoring", "home_check", start)
    step(db, hid, "monitoring", "consent", start + timedelta(days=1), by="户主")
    step(
        db,
        hid,
        "monitoring",
        "review_notice",
        start + timedelta(days=6),
        **VOTE,
        **notice(start + timedelta(days=2), days=5),
    )
    step(db, hid, "monitoring", "township_review", start + timedelta(days=8))
    return step(
        db,
        hid,
        "monitoring",
        "county_decide",
        start + timedelta(days=10),
        monitoring_kind=kind,
        risk_type="因病",
    )


def test_monitoring_decision_sets_the_category_and_date(db: Database, village: str) -> None:
    hid = make_household(db, village, status="lifted")
    with pytest.raises(ServiceError, match="须指明监测对象类别"):
        _monitor(db, hid, date(2026, 10, 1), None)
    result = step(
        db,
        hid,
        "monitoring",
        "county_decide",
        date(2026, 10, 11),
        monitoring_kind="边缘易致贫户",
        risk_type="illness",
    )
    assert result.state == "completed"
    row = status_of(db, hid)
    assert row["monitoring_kind"] == "marginal" and row["risk_type"] == "illness"
    assert row["monitoring_since"] == "2026-10-11" and row["status"] == "lifted"


def test_risk_clearing_ends_monitoring(db: Database, village: str) -> None:
    hid = make_household(
        db,
        village,
        status="lifted",
        monitoring_kind="unstable",
        monitoring_since=date(2025, 5, 1),
        risk_type="illness",
    )
    step(db, hid, "risk_clear", "home_check", D)
    step(
        db,
        hid,
        "risk_clear",
        "review_notice",
        D + timedelta(days=6),
        **VOTE,
        **notice(D + timedelta(days=1), days=5),
    )
    step(db, hid, "risk_clear", "township_review", D + timedelta(days=7))
    step(db, hid, "risk_clear", "county_decide", D + timedelta(days=8))
    row = status_of(db, hid)
    assert row["monitoring_kind"] is None and row["monitoring_since"] is None


def test_monitoring_deadline_warns_as_it_approaches_and_when_passed(
    db: Database, village: str
) -> None:
    hid = make_household(db, village, status="lifted")
    start = date(2026, 11, 1)
    step(db, hid, "monitoring", "home_check", start)
    far = workflow_state(db, hid, "monitoring", today=start + timedelta(days=5))
    assert far.deadline == start + timedelta(days=15) and not far.warnings
    near = workflow_state(db, hid, "monitoring", today=start + timedelta(days=13))
    assert near.warnings and "还剩2天" in near.warnings[0]
    late = workflow_state(db, hid, "monitoring", today=start + timedelta(days=16))
    assert "已超过15天时限" in late.warnings[0]


def test_exit_state_shows_the_three_not_exit_blockers(db: Database, village: str) -> None:
    hid = make_household(db, village, status="relapsed")
    state = workflow_state(db, hid, "exit", today=TODAY)
    assert any("当年新识别或返贫" in hint for hint in state.hints)


def test_step_records_are_append_only(db: Database, village: str) -> None:
    hid = make_household(db, village)
    result = step(db, hid, "identification", "apply", D)
    with db.unit_of_work() as uow, pytest.raises(ServiceError, match="只能新增或作废"):
        uow.update("step_record", result.record_id, {"outcome": "failed"})
    with db.unit_of_work() as uow:
        uow.void("step_record", result.record_id, "录入错误")
    assert workflow_state(db, hid, today=TODAY).state == "not_started"


def test_the_national_procedure_is_selected_by_the_county_file(
    db: Database, village: str, tmp_path: Any
) -> None:
    from tests.unit.test_targeting_rules import rules_folder

    config = rules_folder(tmp_path, identification="workflow_national.toml")
    hid = make_household(db, village)
    state = workflow_state(db, hid, config=config, today=TODAY)
    assert [s.label for s in state.steps] == ["农户申请", "民主评议", "公示公告", "逐级审核"]
    assert default_config().workflow("identification").name == "七步识别法"
