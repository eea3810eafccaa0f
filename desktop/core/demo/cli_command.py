"""``doorstep demo --db PATH --households N --seed S [--photos] [--json]``: make a demo county.

The database must be new or empty: a demo is never mixed into real data. Progress goes to stderr
when it is a terminal; the summary (or ``--json``, stable for scripts and benchmarks) to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop.core.demo.generator import MAX_HOUSEHOLDS, DemoSummary, generate_demo
from desktop.core.i18n import _

EXIT_OK, EXIT_ERROR = 0, 1


def register_demo_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``demo`` to the ``doorstep`` command (desktop.cli COMMAND_MODULES calls this)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo", help=_("生成示范县：虚构但逼真的农户数据，可反复生成")
    )
    parser.add_argument("--db", type=Path, required=True, help=_("新数据库文件路径"))
    parser.add_argument("--households", type=int, default=1000, help=_("户数（默认 1000）"))
    parser.add_argument("--seed", type=int, default=1, help=_("随机种子：相同种子生成相同数据"))
    parser.add_argument("--photos", action="store_true", help=_("同时生成走访照片"))
    parser.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    parser.set_defaults(handler=run_demo_command)
    return parser


def run_demo_command(args: argparse.Namespace) -> int:
    from desktop.core.database import open_database
    from desktop.core.db import DatabaseError
    from desktop.core.photos import PhotoError
    from desktop.core.services.errors import ServiceError

    if not 1 <= args.households <= MAX_HOUSEHOLDS:
        print(
            _("错误：户数应为 1 到 {max} 之间的整数。").format(max=f"{MAX_HOUSEHOLDS:,}"),
            file=sys.stderr,
        )
        return EXIT_ERROR
    progress = _print_progress if sys.stderr.isatty() and not args.json else None
    try:
        with open_database(args.db) as db:
            summary = generate_demo(db, args.households, args.seed, args.photos, progress)
    except (DatabaseError, ServiceError, PhotoError) as exc:
        print(_("错误：{message}").format(message=exc), file=sys.stderr)
        return EXIT_ERROR
    if progress:
        sys.stderr.write("\n")
    if args.json:
        json.dump(summary_json(summary, args.db), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary_text(summary, args.db))
    return EXIT_OK


def _print_progress(done: int, total: int) -> None:
    sys.stderr.write("\r" + _("已生成 {done}/{total} 户").format(done=done, total=total))
    sys.stderr.flush()


def summary_text(summary: DemoSummary, path: Path) -> str:
    counts = summary.counts
    return _(
        "已生成“{county}”：{households} 户、{members} 人、{visits} 条走访记录、"
        "{commitments} 项帮扶措施、{photos} 张照片，用时 {seconds:.1f} 秒。\n"
        "其中 {planted} 户故意留有数据问题，运行 doorstep check 可以查看。\n数据库：{path}"
    ).format(
        county=summary.county_name,
        households=summary.households,
        members=summary.members,
        visits=counts.get("visit", 0),
        commitments=counts.get("commitment", 0),
        photos=summary.photos,
        seconds=summary.seconds,
        planted=len(summary.planted),
        path=path,
    )


def summary_json(summary: DemoSummary, path: Path) -> dict[str, Any]:
    return {
        "db": str(path),
        "seed": summary.seed,
        "county_code": summary.county_code,
        "county_name": summary.county_name,
        "households": summary.households,
        "counts": dict(sorted(summary.counts.items())),
        "photos": summary.photos,
        "seconds": round(summary.seconds, 3),
        "cancelled": summary.cancelled,
        "planted": [
            {
                "rule": p.rule,
                "household_id": p.household_id,
                "household_number": p.household_number,
                "member_id": p.member_id,
                "description": p.description,
            }
            for p in summary.planted
        ],
    }
