"""Printing a notice of any kind for a village: the entry point the CLI and the app share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ledger.errors import LedgerError
from desktop.ledger.funds_notice import render_funds_notice, select_fund_lines
from desktop.ledger.lookup import find_village
from desktop.ledger.notices import (
    DEFAULT_DAYS,
    NOTICE_KINDS,
    make_period,
    render_household_notice,
    select_households,
)
from desktop.ledger.village_ledger import atomic_target


@dataclass(frozen=True)
class NoticeResult:
    path: Path
    kind: str
    listed: int  # households (or fund lines) on the notice


def print_notice(
    db: Database,
    village: str,
    kind: str,
    out: str | Path,
    *,
    start: date | None = None,
    end: date | None = None,
    posted: date | None = None,
    days: int | None = None,
) -> NoticeResult:
    """Write the ``kind`` notice (entry, exit, monitoring or funds) of a village to ``out``.

    ``start``/``end`` choose the period the notice covers (default: this year so far);
    ``posted`` and ``days`` the notice period printed on it (default: today, 7 days; 5 for
    monitoring, 10 for funds).
    """
    if kind not in NOTICE_KINDS:
        raise LedgerError(
            _("未知的公示类型“{kind}”，可选：{choices}。").format(
                kind=kind, choices="、".join(NOTICE_KINDS)
            )
        )
    period = make_period(start, end)
    posted = posted or date.today()
    days = days or DEFAULT_DAYS[kind]
    if days < 1:
        raise LedgerError(_("公示天数至少为 1 天。"))
    out = Path(out)
    with db.session() as session:
        place = find_village(session, village)
        if kind == "funds":
            lines = select_fund_lines(session, place.code, period)
            with atomic_target(out) as temp:
                render_funds_notice(place, lines, period, temp, posted, days)
            return NoticeResult(out, kind, len(lines))
        entries = select_households(session, place.code, kind, period)
    with atomic_target(out) as temp:
        render_household_notice(place, kind, entries, temp, posted, days)
    return NoticeResult(out, kind, len(entries))
