"""Public notices (公示) of households proposed for entry, exit or monitoring in a village.

Who is listed:
- entry: households whose status is 识别中 (``identifying``); with an explicit period, only those
  whose latest identification step (or, without steps, their registration) falls in it.
- exit: households with exit step records whose status is not yet 已脱贫 / 清退 / 不予识别 (exit
  in progress; with an explicit period, the latest exit step in it), and households whose
  status became 已脱贫 within the period.
- monitoring: households with a monitoring category whose 纳入监测日期 falls in the period.
The period defaults to 1 January of this year until today.

A notice prints only what the rules allow (see ``redact``): group, head's name, the head's ID
number masked, household size, category, and a reason that never names an illness or disability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer
from sqlalchemy import text
from sqlmodel import Session

from desktop.core import codes
from desktop.core.i18n import _, is_english
from desktop.core.rules.idnumber import mask_id
from desktop.ledger.errors import LedgerError
from desktop.ledger.household_data import stamp_date
from desktop.ledger.lookup import Place, group_names
from desktop.ledger.pages import Section, SectionStart, build_pdf
from desktop.ledger.redact import cause_label
from desktop.ledger.styles import FRAME_WIDTH, cell, grid_style, grid_table, para
from desktop.ledger.textcell import CellTable

NOTICE_KINDS = ("entry", "exit", "monitoring", "funds")
DEFAULT_DAYS = {"entry": 7, "exit": 7, "monitoring": 5, "funds": 10}
CLOSED_STATUSES = ("lifted", "removed", "not_identified")


@dataclass(frozen=True)
class Period:
    """The span of dates a notice covers; ``explicit`` when the person printing chose it."""

    start: date
    end: date
    explicit: bool = False

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def make_period(start: date | None, end: date | None, today: date | None = None) -> Period:
    today = today or date.today()
    explicit = start is not None or end is not None
    period = Period(start or date(today.year, 1, 1), end or today, explicit)
    if period.end < period.start:
        raise LedgerError(
            _("结束日期 {end} 早于开始日期 {start}。").format(end=period.end, start=period.start)
        )
    return period


@dataclass(frozen=True)
class NoticeEntry:
    group: str
    head: str
    masked_id: str
    size: int
    category: str
    reason: str


def _rows(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.connection().execute(text(sql), params))


def _households(session: Session, village_code: str) -> list[Any]:
    return _rows(
        session,
        """
        SELECT h.id, h.number, h.group_code, h.head_name, h.size, h.category, h.status,
               h.main_cause, h.monitoring_kind, h.monitoring_since, h.risk_type, h.exit_year,
               h.created_hlc, COALESCE(fs.hlc, h.created_hlc) AS status_hlc, m.id_number
        FROM household h
        LEFT JOIN field_stamp fs ON fs.tbl = 'household' AND fs.row_id = h.id AND fs.field = 'status'
        LEFT JOIN member m ON m.id = h.head_member_id
        WHERE h.village_code = :v AND h.voided = 0
        ORDER BY h.group_code, h.number
        """,
        v=village_code,
    )


def _latest_steps(session: Session, village_code: str) -> dict[tuple[str, str], date]:
    rows = _rows(
        session,
        """
        SELECT s.household_id, s.workflow, MAX(s.step_date)
        FROM step_record s JOIN household h ON h.id = s.household_id
        WHERE h.village_code = :v AND s.voided = 0
        GROUP BY s.household_id, s.workflow
        """,
        v=village_code,
    )
    return {(r[0], r[1]): date.fromisoformat(str(r[2])[:10]) for r in rows if r[2]}


def _latest_income(session: Session, village_code: str) -> dict[str, tuple[int, float]]:
    """Per household: (year, net income) of the latest year recorded."""
    rows = _rows(
        session,
        """
        SELECT i.household_id, i.year,
               i.wage + i.business + i.property + i.transfer - i.business_cost
        FROM income i JOIN household h ON h.id = i.household_id
        WHERE h.village_code = :v AND i.voided = 0
        ORDER BY i.year
        """,
        v=village_code,
    )
    return {r[0]: (int(r[1]), float(r[2])) for r in rows}


def select_households(
    session: Session, village_code: str, kind: str, period: Period
) -> list[NoticeEntry]:
    """The households a notice of ``kind`` lists, in group and number order."""
    if kind not in ("entry", "exit", "monitoring"):
        raise LedgerError(_("未知的公示类型“{kind}”。").format(kind=kind))
    steps = _latest_steps(session, village_code)
    incomes = _latest_income(session, village_code) if kind == "exit" else {}
    groups = group_names(session, village_code)
    chosen: list[NoticeEntry] = []
    for h in _households(session, village_code):
        if kind == "entry":
            if h.status != "identifying":
                continue
            since = steps.get((h.id, "identification")) or stamp_date(h.created_hlc)
            if period.explicit and since not in period:
                continue
            reason = cause_label(h.main_cause)
            category = codes.label("category", h.category)
        elif kind == "exit":
            in_progress = h.status not in CLOSED_STATUSES and (h.id, "exit") in steps
            if in_progress and period.explicit and steps[(h.id, "exit")] not in period:
                in_progress = False
            became_lifted = h.status == "lifted" and stamp_date(h.status_hlc) in period
            if not (in_progress or became_lifted):
                continue
            reason = _exit_reason(incomes.get(h.id), h.size)
            category = codes.label("category", h.category)
        else:
            since_text = h.monitoring_since
            since = date.fromisoformat(str(since_text)[:10]) if since_text else None
            if not h.monitoring_kind or since not in period:
                continue
            category = codes.label("monitoring_kind", h.monitoring_kind)
            reason = cause_label(h.risk_type, "monitoring_risk")
        chosen.append(
            NoticeEntry(
                group=groups.get(h.group_code or "", ""),
                head=h.head_name,
                masked_id=mask_id(h.id_number) if h.id_number else "",
                size=int(h.size or 0),
                category=category,
                reason=reason,
            )
        )
    return chosen


def _exit_reason(income: tuple[int, float] | None, size: int) -> str:
    if income is None or not size:
        return _("收入稳定，两不愁三保障及饮水安全有保障")
    year, net = income
    return _("{year}年人均纯收入 {amount} 元").format(year=year, amount=f"{net / size:,.0f}")


# ------------------------------------------------------------------------------------ rendering

TITLES = {
    "entry": "{village}拟纳入建档立卡贫困户公示",
    "exit": "{village}拟退出贫困户公示",
    "monitoring": "{village}拟纳入防返贫监测对象公示",
}
LEADS = {
    "entry": "根据精准识别有关规定，经农户申请、村民小组评议、村民代表大会民主评议，"
    "拟将以下 {n} 户纳入建档立卡贫困户，现予公示。",
    "exit": "根据贫困户退出有关规定，经民主评议、入户核实和农户签字确认，"
    "拟将以下 {n} 户退出贫困户，现予公示。",
    "monitoring": "根据防止返贫动态监测和帮扶有关规定，经农户申请（授权承诺）、入户核实和民主评议，"
    "拟将以下 {n} 户纳入防返贫监测对象，现予公示。",
}
REASON_HEADERS = {"entry": "主要致贫原因", "exit": "退出依据", "monitoring": "主要风险"}
CATEGORY_HEADERS = {"entry": "贫困户属性", "exit": "贫困户属性", "monitoring": "监测对象类别"}


def indent() -> str:
    """Chinese paragraphs open with two ideographic spaces; English ones do not."""
    return "" if is_english() else "　　"


def notice_period_lines(place: Place, posted: date, days: int) -> list[Flowable]:
    """The notice period, where to object, and the signature block."""
    end = posted + timedelta(days=days - 1)
    township = place.township or _("乡镇")
    return [
        Spacer(1, 3 * mm),
        para(
            _("公示期：{start} 至 {end}（共 {days} 天）。").format(
                start=posted.isoformat(), end=end.isoformat(), days=days
            ),
            "notice_body",
        ),
        para(
            _(
                "公示期内，如对公示对象有异议，请以书面、口头或当面方式向{village}村民委员会、"
                "村务监督委员会或{township}人民政府反映。反映情况应实事求是，"
                "以单位名义反映的应加盖公章，以个人名义反映的应署真实姓名。"
            ).format(village=place.name, township=township),
            "notice_body",
        ),
    ]


def signature_block(place: Place, posted: date) -> Flowable:
    rows = [
        [cell(""), cell(_("{village}村民委员会（盖章）").format(village=place.name), "sign")],
        [cell(""), cell(_("村务监督委员会（签字）：") + "＿" * 8, "sign")],
        [cell(""), cell(_("日期：{date}").format(date=posted.isoformat()), "sign")],
    ]
    table = CellTable(
        rows,
        colWidths=[FRAME_WIDTH * 0.45, FRAME_WIDTH * 0.55],
        style=grid_style(header_rows=0, ruled=False),
        hAlign="LEFT",
    )
    return KeepTogether([Spacer(1, 8 * mm), table])


def notice_section(place: Place, title: str) -> Section:
    return Section(key="notice", header=place.full_name, title=title, outline=title)


def render_household_notice(
    place: Place,
    kind: str,
    entries: Sequence[NoticeEntry],
    target: str | Path | IO[bytes],
    posted: date,
    days: int,
) -> None:
    title = _(TITLES[kind]).format(village=place.name)
    story: list[Flowable] = [SectionStart(notice_section(place, title))]
    story.append(para(title, "notice_title"))
    story.append(para(indent() + _(LEADS[kind]).format(n=len(entries)), "notice_body"))
    story.append(Spacer(1, 3 * mm))
    if entries:
        rows = [
            [str(n), e.group, e.head, e.masked_id, str(e.size), e.category, e.reason]
            for n, e in enumerate(entries, start=1)
        ]
        story.append(
            grid_table(
                [
                    _("序号"),
                    _("村民小组"),
                    _("户主姓名"),
                    _("户主身份证号"),
                    _("家庭人口"),
                    _(CATEGORY_HEADERS[kind]),
                    _(REASON_HEADERS[kind]),
                ],
                rows,
                [0.06, 0.1, 0.12, 0.2, 0.09, 0.19, 0.24],
                "cccccc" + "l",
            )
        )
    else:
        story.append(para(_("本期没有符合条件的农户。")))
    story += notice_period_lines(place, posted, days)
    story.append(CondPageBreak(40 * mm))
    story.append(signature_block(place, posted))
    build_pdf(target, story, title=title, subject=place.full_name)
