"""What can be printed from the app, as jobs the preview runs on the worker thread.

A job knows its title (shown on the preview), a file name to suggest when saving, and how to
write its PDF to a path. The PDF itself comes from ``desktop.ledger`` (reportlab, no Qt), the
same code the ``doorstep ledger / notice / summary`` commands run, so paper from the app and
paper from the command line are the same document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ledger.errors import LedgerError
from desktop.ledger.village_ledger import safe_file_name

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class Made:
    """What a job produced: the PDF, or nothing because the cadre cancelled."""

    path: Path | None
    note: str = ""  # a sentence for the preview's status line (e.g. "12 户")
    cancelled: bool = False


Maker = Callable[[Database, Path, Progress, CancelCheck], Made]


@dataclass
class PrintJob:
    title: str
    file_name: str  # suggested when saving, without folder
    make: Maker
    cancellable: bool = False  # long jobs (a whole village) show a cancel button


def household_ledger_job(household_id: str, title: str = "") -> PrintJob:
    """One household's ledger (一户一本台账)."""
    from desktop.ledger.village_ledger import print_household

    def make(db: Database, out: Path, _progress: Progress, _cancel: CancelCheck) -> Made:
        return Made(print_household(db, household_id, out))

    name = title or household_id
    return PrintJob(
        _("{name} 台账").format(name=name),
        safe_file_name(_("台账_{name}").format(name=name)) + ".pdf",
        make,
    )


def village_book_job(village_code: str, village_name: str) -> PrintJob:
    """Every household of a village in one book with a contents page; progress and cancel."""
    from desktop.ledger.village_ledger import print_village

    def make(db: Database, out: Path, progress: Progress, cancel: CancelCheck) -> Made:
        result = print_village(db, village_code, out, progress=progress, cancel=cancel)
        if result.cancelled:
            return Made(None, cancelled=True)
        return Made(out, _("共 {n} 户").format(n=result.households))

    return PrintJob(
        _("{village} 全村台账").format(village=village_name),
        safe_file_name(_("{village}台账").format(village=village_name)) + ".pdf",
        make,
        cancellable=True,
    )


NOTICE_CHOICES = {  # what the village dialog offers
    "entry": "拟纳入建档立卡贫困户公示",
    "exit": "拟退出贫困户公示",
    "monitoring": "拟纳入防返贫监测对象公示",
    "funds": "扶贫资金和项目公告公示",
}
NOTICE_TITLES = {  # the titles the ledger prints, so the preview says what the paper says
    "entry": "{village}拟纳入建档立卡贫困户公示",
    "exit": "{village}拟退出贫困户公示",
    "monitoring": "{village}拟纳入防返贫监测对象公示",
    "funds": "{village}扶贫资金和项目公告公示",
}


def notice_choice(kind: str) -> str:
    return _(NOTICE_CHOICES[kind])


def notice_job(
    village_code: str,
    village_name: str,
    kind: str,
    start: date | None = None,
    end: date | None = None,
    posted: date | None = None,
    days: int | None = None,
) -> PrintJob:
    """A public notice (公示) of one kind for a village and period."""
    from desktop.ledger.notice_printing import print_notice

    if kind not in NOTICE_TITLES:
        raise LedgerError(_("未知的公示类型“{kind}”。").format(kind=kind))

    def make(db: Database, out: Path, _progress: Progress, _cancel: CancelCheck) -> Made:
        result = print_notice(
            db, village_code, kind, out, start=start, end=end, posted=posted, days=days
        )
        return Made(result.path, _("列出 {n} 条").format(n=result.listed))

    title = _(NOTICE_TITLES[kind]).format(village=village_name)
    return PrintJob(title, safe_file_name(title) + ".pdf", make)


def summary_job(village_code: str, village_name: str) -> PrintJob:
    """The village summary with its charts."""
    from desktop.ledger.summary import print_summary

    def make(db: Database, out: Path, _progress: Progress, _cancel: CancelCheck) -> Made:
        return Made(print_summary(db, village_code, out))

    title = _("{village}帮扶工作汇总").format(village=village_name)
    return PrintJob(title, safe_file_name(title) + ".pdf", make)
