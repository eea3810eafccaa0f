"""``doorstep import`` and ``doorstep export``: the 建档立卡 roster on the command line.

Exit status: 0 when every household in the file is (or would be) imported, 1 when the file cannot
be read or any household was skipped for errors (the report on stdout says which and why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.core.i18n import _

EXIT_OK, EXIT_ERROR = 0, 1
REPORT_LIMIT = 200


def register_roster_commands(subparsers: Any) -> None:
    """Add ``import`` and ``export`` to the ``doorstep`` command."""
    importer = subparsers.add_parser(
        "import",
        help=_("检查并导入建档立卡名册（.xlsx）；默认只检查不写入"),
        description=_(
            "读取建档立卡名册（“户”和“成员”两个工作表），列出每一处问题。"
            "默认只检查、不改动数据库；加 --commit 才导入没有错误的户（在一个事务中完成）。"
        ),
    )
    importer.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    importer.add_argument("roster", type=Path, metavar="ROSTER.xlsx", help=_("名册文件"))
    importer.add_argument("--commit", action="store_true", help=_("确认导入（否则只检查）"))
    importer.add_argument("--json", action="store_true", help=_("以 JSON 输出报告"))
    importer.add_argument("--cadre", help=_("记入变更记录的操作人"))
    importer.set_defaults(handler=run_import)

    exporter = subparsers.add_parser(
        "export",
        help=_("按建档立卡名册模板导出 .xlsx"),
        description=_("把数据库中的户和成员按名册模板写成 .xlsx，可再次导入。"),
    )
    exporter.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    exporter.add_argument(
        "-o", "--output", type=Path, required=True, metavar="ROSTER.xlsx", help=_("输出文件")
    )
    exporter.add_argument(
        "--village",
        action="append",
        metavar="V",
        help=_("只导出这个行政村（12位代码或名称，可重复）"),
    )
    exporter.set_defaults(handler=run_export)


def _error(message: str) -> int:
    print(_("错误：{message}").format(message=message), file=sys.stderr)
    return EXIT_ERROR


def run_import(args: argparse.Namespace) -> int:
    from desktop.cli import print_json
    from desktop.core.database import open_database
    from desktop.core.db import DatabaseError
    from desktop.core.roster.importer import import_roster
    from desktop.core.roster.xlsx import RosterFileError

    db = None
    try:
        if args.commit or args.db.exists():
            db = open_database(args.db, create=args.commit)
        report = import_roster(db, args.roster, commit=args.commit, cadre=args.cadre)
    except RosterFileError as exc:
        return _error(str(exc))
    except DatabaseError as exc:
        return _error(str(exc))
    finally:
        if db is not None:
            db.close()
    if args.json:
        print_json(report.to_json())
    else:
        print(report.format_text(limit=REPORT_LIMIT))
        if report.roster.blocking:
            print(_("名册缺少工作表或必需的列，没有导入任何数据。"), file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_ERROR


def run_export(args: argparse.Namespace) -> int:
    from desktop.core.database import open_database
    from desktop.core.db import DatabaseError
    from desktop.core.roster.exporter import RosterExportError, export_roster

    if args.output.suffix.lower() not in (".xlsx", ".xlsm"):
        return _error(_("导出文件名应以 .xlsx 结尾。"))
    try:
        with open_database(args.db, create=False) as db:
            villages = _village_codes(db, args.village) if args.village else None
            households, members = export_roster(db, args.output, villages)
    except (DatabaseError, RosterExportError, LookupError) as exc:
        return _error(str(exc))
    print(
        _("已导出 {households} 户、{members} 名成员到 {path}。").format(
            households=households, members=members, path=args.output
        )
    )
    return EXIT_OK


def _village_codes(db: Any, wanted: list[str]) -> list[str]:
    """Village arguments as codes: a code, or a name that names exactly one village."""
    from sqlalchemy import text

    with db.read() as conn:
        villages = conn.execute(
            text("SELECT code, name FROM region WHERE level = 'village' AND voided = 0")
        ).all()
    found: list[str] = []
    for item in wanted:
        matches = [code for code, name in villages if item in (code, name)]
        if len(matches) != 1:
            raise LookupError(
                _("找不到行政村“{village}”。").format(village=item)
                if not matches
                else _("有多个行政村叫“{village}”，请用12位代码。").format(village=item)
            )
        found.extend(matches)
    return found
