"""``doorstep ledger``, ``doorstep notice`` and ``doorstep summary``: printing from the command line.

    doorstep ledger --db PATH (--household H | --village V) -o OUT.pdf [--per-household-dir]
    doorstep notice --db PATH --village V --kind entry|exit|monitoring|funds -o OUT.pdf
                    [--from DATE --to DATE] [--posted DATE] [--days N]
    doorstep summary --db PATH --village V -o OUT.pdf

H is a 户编号 or UUID; V a 12-digit village code or the village's name.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.i18n import _
from desktop.ledger.errors import LedgerError
from desktop.ledger.photos import PhotoLoader

EXIT_OK = 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“{text}”不是有效日期，请写成 2024-03-05 的形式。").format(text=text)
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(_("天数应为正整数。"))
    return value


def register_ledger_commands(subparsers: Any) -> None:
    ledger = subparsers.add_parser("ledger", help=_("打印一户一本台账（一户，或一个村的全部农户）"))
    ledger.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    which = ledger.add_mutually_exclusive_group(required=True)
    which.add_argument("--household", metavar="H", help=_("户编号或户的 UUID"))
    which.add_argument("--village", metavar="V", help=_("村的12位区划代码或村名"))
    ledger.add_argument("-o", "--output", type=Path, required=True, help=_("输出的 PDF 文件"))
    ledger.add_argument(
        "--per-household-dir",
        action="store_true",
        help=_("每户一个 PDF 文件，写入 -o 指定的文件夹（仅与 --village 一起使用）"),
    )
    ledger.add_argument("--photos", type=Path, help=_("照片文件夹（按 SHA-256 命名）"))
    ledger.set_defaults(handler=run_ledger)

    notice = subparsers.add_parser("notice", help=_("打印公示：拟纳入、拟退出、监测对象、资金项目"))
    notice.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    notice.add_argument("--village", metavar="V", required=True, help=_("村的12位区划代码或村名"))
    notice.add_argument(
        "--kind",
        required=True,
        choices=("entry", "exit", "monitoring", "funds"),
        help=_("公示类型"),
    )
    notice.add_argument("-o", "--output", type=Path, required=True, help=_("输出的 PDF 文件"))
    notice.add_argument("--from", dest="start", type=_date, help=_("统计期间开始日期"))
    notice.add_argument("--to", dest="end", type=_date, help=_("统计期间结束日期"))
    notice.add_argument("--posted", type=_date, help=_("公示开始日期（默认今天）"))
    notice.add_argument("--days", type=_positive, help=_("公示天数"))
    notice.set_defaults(handler=run_notice)

    summary = subparsers.add_parser("summary", help=_("打印村帮扶工作汇总（含图表）"))
    summary.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    summary.add_argument("--village", metavar="V", required=True, help=_("村的12位区划代码或村名"))
    summary.add_argument("-o", "--output", type=Path, required=True, help=_("输出的 PDF 文件"))
    summary.set_defaults(handler=run_summary)


def _folder_loader(folder: Path) -> PhotoLoader:
    def load(sha256: str) -> Path | None:
        for name in (
            sha256,
            f"{sha256}.jpg",
            f"{sha256[:2]}/{sha256}",
            f"{sha256[:2]}/{sha256}.jpg",
        ):
            if (folder / name).is_file():
                return folder / name
        return None

    return load


def _guarded(work: Callable[[], int]) -> int:
    """Printing errors become the CLI's one-sentence errors."""
    from desktop.cli import CommandError

    try:
        return work()
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc


def _open(path: Path) -> Any:
    from desktop.cli import open_db

    return open_db(path)


def run_ledger(args: argparse.Namespace) -> int:
    from desktop.ledger.village_ledger import print_household, print_village

    loader = _folder_loader(args.photos) if args.photos else None

    def work() -> int:
        if args.per_household_dir and not args.village:
            raise LedgerError(_("--per-household-dir 只能与 --village 一起使用。"))
        with _open(args.db) as db:
            if args.household:
                path = print_household(db, args.household, args.output, photo_loader=loader)
                print(_("已生成台账：{path}").format(path=path))
                return EXIT_OK
            last = [-1]

            def progress(done: int, total: int, label: str) -> None:
                step = max(1, total // 10)
                if done == total or done // step != last[0]:
                    last[0] = done // step
                    print(
                        _("已完成 {done}/{total} 户").format(done=done, total=total),
                        file=sys.stderr,
                    )

            result = print_village(
                db,
                args.village,
                args.output,
                per_household_dir=args.per_household_dir,
                photo_loader=loader,
                progress=progress,
            )
        if args.per_household_dir:
            print(
                _("已生成 {n} 户的台账，保存在 {path}").format(
                    n=len(result.files), path=args.output
                )
            )
        else:
            print(
                _("已生成全村台账（{n} 户）：{path}").format(n=result.households, path=args.output)
            )
        return EXIT_OK

    return _guarded(work)


def run_notice(args: argparse.Namespace) -> int:
    from desktop.ledger.notice_printing import print_notice

    def work() -> int:
        with _open(args.db) as db:
            result = print_notice(
                db,
                args.village,
                args.kind,
                args.output,
                start=args.start,
                end=args.end,
                posted=args.posted,
                days=args.days,
            )
        print(_("已生成公示（{n} 条）：{path}").format(n=result.listed, path=result.path))
        return EXIT_OK

    return _guarded(work)


def run_summary(args: argparse.Namespace) -> int:
    from desktop.ledger.summary import print_summary

    def work() -> int:
        with _open(args.db) as db:
            path = print_summary(db, args.village, args.output)
        print(_("已生成汇总：{path}").format(path=path))
        return EXIT_OK

    return _guarded(work)
