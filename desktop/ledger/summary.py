"""The village summary the township reviews: households by status, category and cause;
commitments promised, delivered and overdue with their funds; visits this month; with charts.

Every figure comes from a handful of aggregate queries over the village's live (not voided)
records, so the report for a 3,000-household village takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer
from sqlalchemy import text
from sqlmodel import Session

from desktop.core import codes
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ledger.charts import bar_chart
from desktop.ledger.lookup import Place, find_village
from desktop.ledger.pages import Section, SectionStart, build_pdf
from desktop.ledger.styles import FRAME_WIDTH, facts_table, grid_table, money, para


@dataclass
class VillageFigures:
    place: Place
    today: date
    households: int = 0
    people: int = 0
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_cause: list[tuple[str, int]] = field(default_factory=list)
    by_monitoring: list[tuple[str, int]] = field(default_factory=list)
    commitments: dict[str, tuple[int, float]] = field(default_factory=dict)
    visits_this_month: int = 0
    visited_households: int = 0
    without_helper: int = 0


def _query(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.connection().execute(text(sql), params))


def _labelled(kind: str, rows: list[Any]) -> list[tuple[str, int]]:
    """(label, count) in the code table's order, unknown and blank codes last."""
    order = {c.code: n for n, c in enumerate(codes.codes(kind))}
    counted = sorted(rows, key=lambda r: order.get(r[0], len(order)))
    return [(codes.label(kind, r[0]) if r[0] else _("未填写"), int(r[1])) for r in counted]


def village_figures(session: Session, place: Place, today: date | None = None) -> VillageFigures:
    today = today or date.today()
    v = place.code
    live = "h.village_code = :v AND h.voided = 0"
    figures = VillageFigures(place=place, today=today)
    row = _query(
        session, f"SELECT COUNT(*), COALESCE(SUM(h.size), 0) FROM household h WHERE {live}", v=v
    )[0]
    figures.households, figures.people = int(row[0]), int(row[1])
    for attr, column, kind in (
        ("by_status", "status", "household_status"),
        ("by_category", "category", "category"),
        ("by_cause", "main_cause", "cause"),
        ("by_monitoring", "monitoring_kind", "monitoring_kind"),
    ):
        rows = _query(
            session,
            f"SELECT h.{column}, COUNT(*) FROM household h WHERE {live} GROUP BY h.{column}",
            v=v,
        )
        if attr == "by_monitoring":
            rows = [r for r in rows if r[0]]
        setattr(figures, attr, _labelled(kind, rows))
    rows = _query(
        session,
        f"""
        SELECT c.status, c.due_date, c.amount FROM commitment c JOIN household h ON h.id = c.household_id
        WHERE {live} AND c.voided = 0
        """,
        v=v,
    )
    buckets = {
        "promised": [0, 0.0],
        "delivered": [0, 0.0],
        "overdue": [0, 0.0],
        "cancelled": [0, 0.0],
    }
    for status, due, amount in rows:
        amount = float(amount or 0)
        names = []
        if status == "cancelled":
            names.append("cancelled")
        else:
            names.append("promised")
            if status == "delivered":
                names.append("delivered")
            elif due and date.fromisoformat(str(due)[:10]) < today:
                names.append("overdue")
        for name in names:
            buckets[name][0] += 1
            buckets[name][1] += amount
    figures.commitments = {k: (int(c), float(a)) for k, (c, a) in buckets.items()}
    month_start = today.replace(day=1).isoformat()
    row = _query(
        session,
        f"""
        SELECT COUNT(*), COUNT(DISTINCT x.household_id) FROM visit x JOIN household h ON h.id = x.household_id
        WHERE {live} AND x.voided = 0 AND x.visit_date >= :m AND x.visit_date <= :t
        """,
        v=v,
        m=month_start,
        t=today.isoformat(),
    )[0]
    figures.visits_this_month, figures.visited_households = int(row[0]), int(row[1])
    figures.without_helper = int(
        _query(
            session,
            f"""
            SELECT COUNT(*) FROM household h WHERE {live} AND NOT EXISTS (
              SELECT 1 FROM helper_assignment a WHERE a.household_id = h.id AND a.voided = 0
                AND a.start_date <= :t AND (a.end_date IS NULL OR a.end_date >= :t))
            """,
            v=v,
            t=today.isoformat(),
        )[0][0]
    )
    return figures


def _count_block(title: str, items: list[tuple[str, int]], total: int) -> list[Flowable]:
    if not items:
        return [para(title, "h2"), para(_("（无）"), "small")]
    rows = [
        [label, str(count), f"{100 * count / total:.1f}%" if total else ""]
        for label, count in items
    ]
    table = grid_table([title, _("户数"), _("占比")], rows, [0.5, 0.2, 0.3], "lcr")
    chart = bar_chart([(label, float(count)) for label, count in items], FRAME_WIDTH, "{:.0f}")
    return [
        CondPageBreak(60 * mm),
        para(title, "h2"),
        KeepTogether([table, Spacer(1, 2 * mm), chart]),
    ]


def summary_story(f: VillageFigures) -> list[Flowable]:
    title = _("{village}帮扶工作汇总").format(village=f.place.name)
    story: list[Flowable] = [
        SectionStart(Section(key="summary", header=f.place.full_name, title=title, outline=title)),
        para(title, "title"),
        para(_("统计日期：{date}").format(date=f.today.isoformat()), "subtitle"),
        Spacer(1, 4 * mm),
        facts_table(
            [
                (_("登记户数"), _("{n} 户").format(n=f.households)),
                (_("现有人口"), _("{n} 人").format(n=f.people)),
                (_("本月走访"), _("{n} 次").format(n=f.visits_this_month)),
                (
                    _("本月走访户数"),
                    _("{n} 户（{share}）").format(
                        n=f.visited_households,
                        share=f"{100 * f.visited_households / f.households:.0f}%"
                        if f.households
                        else "—",
                    ),
                ),
                (_("本月未走访户数"), _("{n} 户").format(n=f.households - f.visited_households)),
                (_("无在岗帮扶责任人"), _("{n} 户").format(n=f.without_helper)),
            ]
        ),
    ]
    story += [para(_("一、农户情况"), "h1")]
    story += _count_block(codes.kind_label("household_status"), f.by_status, f.households)
    story += _count_block(codes.kind_label("category"), f.by_category, f.households)
    story += _count_block(_("主要致贫原因"), f.by_cause, f.households)
    story += _count_block(codes.kind_label("monitoring_kind"), f.by_monitoring, f.households)
    names = {
        "promised": _("承诺（不含已取消）"),
        "delivered": _("已兑现"),
        "overdue": _("逾期未兑现"),
        "cancelled": _("已取消"),
    }
    rows = [
        [names[k], str(f.commitments.get(k, (0, 0.0))[0]), money(f.commitments.get(k, (0, 0.0))[1])]
        for k in names
    ]
    story += [CondPageBreak(70 * mm), para(_("二、帮扶措施兑现"), "h1")]
    story.append(grid_table([_("项目"), _("项数"), _("资金（元）")], rows, [0.5, 0.2, 0.3], "lcr"))
    story.append(Spacer(1, 2 * mm))
    story.append(
        bar_chart(
            [(names[k], f.commitments.get(k, (0, 0.0))[1]) for k in names],
            FRAME_WIDTH,
            "{:,.0f}",
        )
    )
    promised = f.commitments.get("promised", (0, 0.0))
    delivered = f.commitments.get("delivered", (0, 0.0))
    if promised[0]:
        story.append(
            para(
                _("兑现率：按项数 {a}，按资金 {b}。").format(
                    a=f"{100 * delivered[0] / promised[0]:.1f}%",
                    b=f"{100 * delivered[1] / promised[1]:.1f}%" if promised[1] else "—",
                ),
                "small",
            )
        )
    return story


def render_summary(figures: VillageFigures, target: str | Path | IO[bytes]) -> None:
    build_pdf(
        target,
        summary_story(figures),
        title=_("{village}帮扶工作汇总").format(village=figures.place.name),
        subject=figures.place.full_name,
    )


def print_summary(db: Database, village: str, out: str | Path, today: date | None = None) -> Path:
    from desktop.ledger.village_ledger import atomic_target

    out = Path(out)
    with db.session() as session:
        figures = village_figures(session, find_village(session, village), today)
    with atomic_target(out) as temp:
        render_summary(figures, temp)
    return out
