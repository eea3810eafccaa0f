"""The funds and projects notice (资金和项目公告公示, "阳光操作") for a village and period.

Every assistance commitment with funds whose due date or delivery date falls in the period (or,
with neither, that was recorded in it) is listed: head of household, category, measure, project,
amount, source, status, delivery date; then totals by fund source and by category. Cancelled
commitments are listed (the board shows what was withdrawn) but not counted in the totals.
Measures that would reveal an illness or a disability print without detail (see ``redact``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer
from sqlalchemy import text
from sqlmodel import Session

from desktop.core import codes
from desktop.core.i18n import _
from desktop.ledger.household_data import stamp_date
from desktop.ledger.lookup import Place
from desktop.ledger.notices import (
    Period,
    indent,
    notice_period_lines,
    notice_section,
    signature_block,
)
from desktop.ledger.pages import SectionStart, build_pdf
from desktop.ledger.redact import is_sensitive_commitment, scrub, withheld
from desktop.ledger.styles import day, grid_table, money, para


@dataclass(frozen=True)
class FundLine:
    group: str
    head: str
    category: str
    category_code: str
    measure: str
    project: str
    amount: float
    source: str
    source_code: str
    status: str
    status_code: str
    delivered: str


def select_fund_lines(session: Session, village_code: str, period: Period) -> list[FundLine]:
    rows = session.connection().execute(
        text(
            """
            SELECT h.group_code, h.head_name, c.category, c.measure, c.project, c.promised,
                   c.amount, c.fund_source, c.status, c.due_date, c.delivered_date, c.created_hlc,
                   r.name AS group_name
            FROM commitment c
            JOIN household h ON h.id = c.household_id
            LEFT JOIN region r ON r.code = h.group_code
            WHERE h.village_code = :v AND c.voided = 0 AND h.voided = 0
              AND c.amount IS NOT NULL AND c.amount > 0
            ORDER BY h.group_code, h.number, c.due_date
            """
        ),
        {"v": village_code},
    )
    lines = []
    for r in rows:
        due = _as_date(r.due_date)
        delivered = _as_date(r.delivered_date)
        if due is None and delivered is None:
            if stamp_date(r.created_hlc) not in period:
                continue
        elif due not in period and delivered not in period:
            continue
        sensitive = is_sensitive_commitment(r.category, r.measure)
        lines.append(
            FundLine(
                group=r.group_name or "",
                head=r.head_name,
                category=codes.label("assistance_category", r.category),
                category_code=r.category,
                measure=withheld() if sensitive else codes.label("assistance_measure", r.measure),
                project="" if sensitive else scrub(r.project or r.promised),
                amount=float(r.amount),
                source=codes.label("fund_source", r.fund_source),
                source_code=r.fund_source or "",
                status=codes.label("commitment_status", r.status),
                status_code=r.status,
                delivered=day(delivered),
            )
        )
    return lines


def _as_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def totals(lines: Sequence[FundLine], key: str) -> list[tuple[str, int, float]]:
    """(label, count, amount) per fund source or category, cancelled lines left out."""
    counted: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        if line.status_code != "cancelled":
            counted[getattr(line, key)].append(line.amount)
    return sorted(
        ((label or _("未填写"), len(v), sum(v)) for label, v in counted.items()),
        key=lambda t: -t[2],
    )


def render_funds_notice(
    place: Place,
    lines: Sequence[FundLine],
    period: Period,
    target: str | Path | IO[bytes],
    posted: date,
    days: int,
) -> None:
    title = _("{village}扶贫资金和项目公告公示").format(village=place.name)
    story: list[Flowable] = [
        SectionStart(notice_section(place, title)),
        para(title, "notice_title"),
    ]
    story.append(
        para(
            indent()
            + _(
                "为接受群众监督，现将本村 {start} 至 {end} 期间安排到户的帮扶措施、项目和资金公告如下。"
            ).format(start=period.start.isoformat(), end=period.end.isoformat()),
            "notice_body",
        )
    )
    story.append(Spacer(1, 3 * mm))
    if lines:
        rows = [
            [
                str(n),
                line.head,
                f"{line.category}\n{line.measure}",
                line.project,
                money(line.amount),
                line.source,
                line.status,
                line.delivered,
            ]
            for n, line in enumerate(lines, start=1)
        ]
        story.append(
            grid_table(
                [
                    _("序号"),
                    _("户主"),
                    _("类别/措施"),
                    _("项目/内容"),
                    _("金额（元）"),
                    _("资金来源"),
                    _("状态"),
                    _("兑现日期"),
                ],
                rows,
                [0.05, 0.09, 0.17, 0.22, 0.12, 0.14, 0.08, 0.13],
                "ccllrlcc",
            )
        )
        grand = sum(line.amount for line in lines if line.status_code != "cancelled")
        story.append(
            para(
                _("合计 {count} 项，资金 {amount} 元（已取消的不计入）。").format(
                    count=sum(1 for line in lines if line.status_code != "cancelled"),
                    amount=money(grand),
                ),
                "small",
            )
        )
        for heading, key, column in (
            (_("按资金来源汇总"), "source", _("资金来源")),
            (_("按帮扶类别汇总"), "category", _("帮扶类别")),
        ):
            story += [CondPageBreak(30 * mm), para(heading, "h2")]
            story.append(
                grid_table(
                    [column, _("项数"), _("金额（元）")],
                    [
                        [label, str(count), money(amount)]
                        for label, count, amount in totals(lines, key)
                    ],
                    [0.5, 0.2, 0.3],
                    "lcr",
                )
            )
    else:
        story.append(para(_("本期没有安排到户的帮扶资金。")))
    story += notice_period_lines(place, posted, days)
    story.append(CondPageBreak(40 * mm))
    story.append(signature_block(place, posted))
    build_pdf(target, story, title=title, subject=place.full_name)
