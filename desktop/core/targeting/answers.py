"""Hand answers to the scoring rubric: recorded, validated, and read back for scoring.

The rubric derives each indicator from the data; where the data are silent (or wrong) a cadre
answers it by hand. Answers live in the synced, append-only ``score_answer`` table so they travel
to the county and survive a restart. A changed answer is a new row: the latest per household and
indicator (by ``answered_on``, then ``created_hlc``, i.e. the same order on every laptop) wins.
Voiding a row withdraws it; ``withdraw_score_answer`` voids all of an indicator's rows so the
indicator goes back to what the data say.

Answers whose indicator or option the rubric no longer has (the county edited its file, or another
laptop runs another rubric) are kept but not used for scoring: records keep their codes forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import FieldProblem, ServiceError
from desktop.core.services.uow import UnitOfWork, register_validator
from desktop.core.targeting.facts import CHUNK, rows
from desktop.core.targeting.rubric import Indicator, Rubric

TABLE = "score_answer"
#: the rubric the validator checks against while a service call names one (``--rules``)
_rubric_in_force: ContextVar[Rubric | None] = ContextVar("rubric_in_force", default=None)


def active_rubric() -> Rubric:
    from desktop.core.targeting.config import default_config

    return _rubric_in_force.get() or default_config().rubric


@contextmanager
def rubric_in_force(rubric: Rubric | None) -> Iterator[None]:
    token = _rubric_in_force.set(rubric)
    try:
        yield
    finally:
        _rubric_in_force.reset(token)


# ----------------------------------------------------------------------------- validation
def check_score_answer(
    uow: UnitOfWork, table: str, row: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    """Indicator and option must exist in the rubric in force and be answerable by hand.

    Only new answers are checked: voiding an answer the rubric no longer knows must still work."""
    if current is not None and all(
        row.get(f) == current.get(f) for f in ("indicator", "option", "answered_on")
    ):
        return []
    rubric = active_rubric()
    problems: list[FieldProblem] = []
    indicator = next((i for i in rubric.indicators if i.code == row.get("indicator")), None)
    if indicator is None:
        problems.append(
            FieldProblem(
                "indicator",
                _("评分表“{rubric}”中没有指标“{code}”。").format(
                    rubric=rubric.name, code=row.get("indicator")
                ),
                code="score_answer.indicator",
            )
        )
    elif not indicator.manual:
        problems.append(
            FieldProblem(
                "indicator",
                _("指标“{label}”只能由数据计算，不能手工填写。").format(label=indicator.label),
                code="score_answer.manual",
            )
        )
    elif indicator.option(str(row.get("option"))) is None:
        problems.append(
            FieldProblem(
                "option",
                _("指标“{label}”没有选项“{option}”。可用：{known}。").format(
                    label=indicator.label,
                    option=row.get("option"),
                    known="、".join(o.code for o in indicator.options),
                ),
                code="score_answer.option",
            )
        )
    if not str(row.get("answered_by") or "").strip():
        problems.append(
            FieldProblem("answered_by", _("请填写评定人。"), code="score_answer.answered_by")
        )
    answered_on = row.get("answered_on")
    if isinstance(answered_on, date) and answered_on > date.today() + timedelta(days=1):
        problems.append(
            FieldProblem("answered_on", _("日期不能晚于今天。"), code="score_answer.future")
        )
    return problems


register_validator(TABLE, check_score_answer)


# ----------------------------------------------------------------------------- writing
def find_indicator(rubric: Rubric, text: str) -> Indicator:
    """An indicator by its code or its label (what a cadre types on the command line)."""
    key = text.strip()
    found = next((i for i in rubric.indicators if key in (i.code, i.label)), None)
    if found is None:
        raise ServiceError(
            _("评分表中没有指标“{code}”。可用：{known}。").format(
                code=key, known="、".join(i.code for i in rubric.indicators)
            )
        )
    return found


def find_option(indicator: Indicator, text: str) -> str:
    """An option's code, given its code or its label."""
    key = text.strip()
    found = next((o for o in indicator.options if key in (o.code, o.label)), None)
    if found is None:
        raise ServiceError(
            _("指标“{label}”没有选项“{option}”。可用：{known}。").format(
                label=indicator.label,
                option=key,
                known="、".join(o.code for o in indicator.options),
            )
        )
    return found.code


def record_score_answer(
    uow: UnitOfWork,
    household_id: str,
    indicator: str,
    option: str,
    answered_by: str,
    answered_on: date,
    note: str | None = None,
    *,
    rubric: Rubric | None = None,
) -> str:
    """Answer one indicator of a household by hand; returns the new row's id.

    ``indicator`` and ``option`` may be codes or labels; ``answered_by`` defaults to the cadre of
    the unit of work. ``rubric``: check against this one instead of the county's (``--rules``)."""
    rubric = rubric or active_rubric()
    household = uow.get("household", household_id)
    if household.get("voided"):
        raise ServiceError(_("这一户已作废，不能评定。"))
    found = find_indicator(rubric, indicator)
    option_code = find_option(found, option)
    with rubric_in_force(rubric):
        return uow.insert(
            TABLE,
            {
                "household_id": household_id,
                "indicator": found.code,
                "option": option_code,
                "answered_by": (answered_by or "").strip() or (uow.cadre or "").strip(),
                "answered_on": answered_on,
                "note": (note or "").strip() or None,
            },
        )


def withdraw_score_answer(uow: UnitOfWork, household_id: str, indicator: str, reason: str) -> int:
    """Void every live answer of one indicator (it goes back to the data); returns how many."""
    if not reason.strip():
        raise ServiceError(_("请填写撤销原因。"))
    live = uow.connection.exec_driver_sql(
        "SELECT id FROM score_answer WHERE voided = 0 AND household_id = ? AND indicator = ?",
        (household_id, indicator),
    ).all()
    if not live:
        raise ServiceError(_("这一指标没有手工评定，无需撤销。"))
    for (row_id,) in live:
        uow.void(TABLE, str(row_id), reason)
    return len(live)


# ----------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class SavedAnswer:
    id: str
    household_id: str
    indicator: str
    option: str
    answered_by: str
    answered_on: date
    note: str


def latest_answers(
    db: Database, household_ids: Sequence[str] | None = None
) -> dict[str, dict[str, SavedAnswer]]:
    """household id → indicator → the latest live answer (by answered_on, then created_hlc)."""
    sql = (
        "SELECT id, created_hlc, household_id, indicator, option, answered_by, answered_on, note "
        "FROM score_answer WHERE voided = 0"
    )
    found: list[dict[str, Any]] = []
    with db.read() as conn:
        if household_ids is None:
            found = rows(conn, sql)
        else:
            ids = list(household_ids)
            for start in range(0, len(ids), CHUNK):
                part = ids[start : start + CHUNK]
                found += rows(
                    conn, sql + f" AND household_id IN ({','.join('?' * len(part))})", part
                )
    found.sort(key=lambda r: (str(r["answered_on"]), str(r["created_hlc"])))
    latest: dict[str, dict[str, SavedAnswer]] = {}
    for r in found:
        latest.setdefault(r["household_id"], {})[r["indicator"]] = SavedAnswer(
            id=str(r["id"]),
            household_id=str(r["household_id"]),
            indicator=str(r["indicator"]),
            option=str(r["option"]),
            answered_by=str(r["answered_by"] or ""),
            answered_on=date.fromisoformat(str(r["answered_on"])[:10]),
            note=str(r["note"] or ""),
        )
    return latest


def saved_answers(
    db: Database, household_ids: Sequence[str] | None = None
) -> dict[str, dict[str, str]]:
    """household id → {indicator: option} of the latest live hand answers."""
    return {
        hid: {code: answer.option for code, answer in answers.items()}
        for hid, answers in latest_answers(db, household_ids).items()
    }


def usable(rubric: Rubric, answers: Mapping[str, str]) -> dict[str, str]:
    """The saved answers this rubric can use (unknown indicators/options are left aside)."""
    by_code = {i.code: i for i in rubric.indicators}
    return {
        code: option
        for code, option in answers.items()
        if code in by_code and by_code[code].manual and by_code[code].option(option) is not None
    }
