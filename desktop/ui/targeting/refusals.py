"""Which form field a refused step is about, so the refusal is shown beside that field.

``record_step`` refuses with one Chinese sentence (a ``ServiceError``), not with a field. To show
the sentence where the cadre can act on it, the refusal is matched against the core's own
checks run one at a time on the same values: the check that yields the *same sentence* names the
field. Nothing is guessed from the wording; a sentence no single check explains goes on top of
the form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from desktop.core.i18n import _
from desktop.core.services.errors import FieldProblem, ServiceError, ValidationFailed
from desktop.core.targeting.config import TargetingConfig
from desktop.core.targeting.workflows import (
    RETURNED,
    _check_notice,
    _check_order,
    _check_votes,
    _effects,
    load_records,
    state_from_records,
)


def _raises(check: Callable[[], Any], message: str) -> bool:
    try:
        check()
    except ServiceError as exc:
        return str(exc) == message
    return False


def refusal_field(
    uow: Any,
    household_id: str,
    workflow: str,
    values: dict[str, Any],
    message: str,
    config: TargetingConfig,
    today: date,
) -> str | None:
    """The field of the step form that ``message`` (a refusal of ``values``) is about."""
    flow = config.workflow(workflow)
    step = flow.step(values.get("step") or "")
    if step is None:
        return "step"
    day: date = values.get("step_date") or today
    outcome = values.get("outcome") or ""
    records = load_records(uow.connection, household_id, workflow)
    state = state_from_records(flow, uow.get("household", household_id), records, today)
    if _raises(lambda: _check_order(flow, state, step, date.max, records), message):
        return "step"
    if _raises(lambda: _check_order(flow, state, step, day, records), message):
        return "step_date"
    votes = (values.get("votes_for"), values.get("votes_against"), values.get("votes_abstain"))
    if _raises(lambda: _check_votes(step, outcome, *votes), message):
        negative = [n for n, v in zip(VOTE_FIELDS, votes, strict=True) if v is not None and v < 0]
        return negative[0] if negative else "votes_for"
    start, end = values.get("notice_start"), values.get("notice_end")
    if _raises(lambda: _check_notice(step, outcome, day, start, end), message):
        if not _raises(lambda: _check_notice(step, outcome, date.max, start, end), message):
            return "step_date"  # passed before the notice period ended
        return "notice_start" if start is None or not step.notice else "notice_end"
    if outcome == RETURNED and message == _(
        "“{label}”是第一步，没有可退回的上一步；不同意请记录为不通过。"
    ).format(label=step.label):
        return "outcome"
    if message == _("请填写“{label}”由谁决定（单位或人员）。").format(label=step.label):
        return "decided_by"
    kind, risk = values.get("monitoring_kind"), values.get("risk_type")
    if _raises(lambda: _effects(flow, step, outcome, day, kind, risk), message):
        if _raises(lambda: _effects(flow, step, outcome, day, kind, None), message):
            return "monitoring_kind"
        return "risk_type"
    return None


VOTE_FIELDS = ("votes_for", "votes_against", "votes_abstain")


def as_field_problem(
    uow: Any,
    household_id: str,
    workflow: str,
    values: dict[str, Any],
    error: ServiceError,
    config: TargetingConfig,
    today: date,
) -> ValidationFailed:
    """The refusal as a ValidationFailed on ``step_record`` (the form shows it beside the field);
    a refusal about the household as a whole (its status, a voided record) goes beside the step."""
    message = str(error)
    field = refusal_field(uow, household_id, workflow, values, message, config, today)
    return ValidationFailed("step_record", [FieldProblem(field or "step", message)])
