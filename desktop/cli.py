"""The ``doorstep`` command: no arguments opens the app; subcommands serve scripts and tests.

Each concern registers its own subcommands (``register_*`` functions) so this file stays a table of
contents. Errors reach the user as one sentence on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop.core import i18n
from desktop.core.i18n import _

# (module, function) pairs; each function takes the subparsers object and adds its commands.
COMMAND_MODULES: list[tuple[str, str]] = [
    ("desktop.cli", "register_core_commands"),
    ("desktop.core.demo.cli_command", "register_demo_command"),
    ("desktop.core.roster.cli_command", "register_roster_commands"),
    ("desktop.core.rules.cli_command", "register_check_command"),
    ("desktop.ledger.cli_commands", "register_ledger_commands"),
    ("desktop.sync.cli_commands", "register_sync_commands"),
    ("desktop.core.targeting.cli_command", "register_targeting_commands"),
    ("desktop.core.crypto.cli_command", "register_encryption_commands"),
    ("desktop.core.backup.cli_command", "register_backup_commands"),
]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A command that cannot do what was asked; the message is shown as it is."""


def _language_from_argv(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doorstep",
        description=_("入户通：村干部入户走访与一户一本台账。不带子命令时打开程序。"),
    )
    parser.add_argument("--db", type=Path, help=_("数据库文件路径"))
    parser.add_argument("--lang", choices=i18n.SUPPORTED_LANGUAGES, help=_("界面语言"))
    parser.add_argument("--demo", action="store_true", help=_("打开示范县（首次使用时自动生成）"))
    parser.add_argument(
        "--self-test", action="store_true", help=_("自检：数据库、台账 PDF、签名、主窗口，然后退出")
    )
    if not with_commands:
        return parser
    subparsers = parser.add_subparsers(dest="command", metavar=_("子命令"))
    for module_name, function_name in COMMAND_MODULES:
        register: Callable[[Any], None] = getattr(
            importlib.import_module(module_name), function_name
        )
        register(subparsers)
    return parser


def add_db_argument(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--db", type=Path, required=required, help=_("数据库文件路径"))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


# ---------------------------------------------------------------------------- core commands
def register_core_commands(subparsers: Any) -> None:
    villages = subparsers.add_parser("villages", help=_("列出行政村：代码、名称、乡镇、户数"))
    add_db_argument(villages)
    villages.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    villages.set_defaults(handler=run_villages)

    search = subparsers.add_parser("search", help=_("按姓名、拼音、身份证号或电话查找农户"))
    add_db_argument(search)
    search.add_argument("query", help=_("查找内容"))
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    search.set_defaults(handler=run_search)


def open_db(path: Path, create: bool = False) -> Any:
    from desktop.core.database import open_database

    return open_database(path, create=create)


def run_villages(args: argparse.Namespace) -> int:
    from desktop.core.queries.villages import village_list

    with open_db(args.db) as db:
        rows = village_list(db)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print(_("数据库中还没有行政村。"))
    for row in rows:
        print(f"{row['code']}  {row['name']}  {row['township']}  {row['households']}")
    return EXIT_OK


def run_search(args: argparse.Namespace) -> int:
    from desktop.core.search import search

    with open_db(args.db) as db:
        hits = search(db, args.query, limit=args.limit)
    if args.json:
        print_json([hit.to_json() for hit in hits])
        return EXIT_OK
    if not hits:
        print(_("没有找到与“{query}”相符的农户。").format(query=args.query))
    for hit in hits:
        print(f"{hit.household_number}  {hit.head_name}  {hit.member_name}  ({hit.matched_on})")
    return EXIT_OK


# ---------------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    # A frozen app started as a large import's helper process (roster/helper_process.py) must
    # run that task and exit, not open the app.
    multiprocessing.freeze_support()
    arguments = list(sys.argv[1:] if argv is None else argv)
    language = _language_from_argv(arguments)
    if language is None:
        from desktop.core.preferences import saved_language

        language = saved_language()  # chosen in the app's 语言 menu
    if language in i18n.SUPPORTED_LANGUAGES:
        i18n.set_language(language)
    if "--self-test" in arguments:
        from desktop.selftest import main as self_test

        return self_test(arguments)
    opening_app = not any(
        not a.startswith("-") and not _is_option_value(arguments, i)
        for i, a in enumerate(arguments)
    )
    if opening_app and not {"-h", "--help"} & set(arguments):
        # Opening the app: skip importing every subcommand module (it costs start-up time).
        args = build_parser(with_commands=False).parse_args(arguments)
        from desktop.ui.app import run_app

        return run_app(args.db, demo=args.demo, lang=args.lang or i18n.current_language())
    args = build_parser().parse_args(arguments)
    if args.command is None:
        from desktop.ui.app import run_app

        return run_app(args.db, demo=args.demo, lang=args.lang or i18n.current_language())
    return run_handler(args)


def _is_option_value(arguments: Sequence[str], index: int) -> bool:
    """True when arguments[index] is the value of a preceding --db/--lang option."""
    return index > 0 and arguments[index - 1] in ("--db", "--lang")


def run_handler(args: argparse.Namespace) -> int:
    from desktop.core.crypto.cli_command import install_passphrase_source, remove_passphrase_source
    from desktop.core.db import DatabaseError
    from desktop.core.services.errors import ServiceError

    install_passphrase_source()  # an encrypted --db: DOORSTEP_PASSPHRASE or a terminal prompt
    try:
        from desktop.core.backup.cli_command import guard_command

        release = guard_command(args)  # an interrupted restore finished, a damaged --db refused
        try:
            return int(args.handler(args))
        finally:
            if release is not None:
                release()
    except (CommandError, DatabaseError, ServiceError) as exc:
        print(_("错误：{message}").format(message=exc), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early: not an error for a listing command.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except FileNotFoundError as exc:
        print(_("错误：找不到文件 {path}。").format(path=exc.filename), file=sys.stderr)
        return EXIT_ERROR
    except PermissionError as exc:
        print(_("错误：没有权限访问 {path}。").format(path=exc.filename), file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(_("错误：{message}").format(message=exc.strerror or exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(_("已取消。"), file=sys.stderr)
        return 130
    finally:
        remove_passphrase_source()  # a command run in-process (tests) leaves no global behind


if __name__ == "__main__":
    sys.exit(main())
