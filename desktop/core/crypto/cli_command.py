"""The passphrase on the command line, and ``doorstep passphrase`` / ``doorstep encrypt``.

Every subcommand that opens ``--db`` meets an encrypted database through the passphrase source
installed here: ``DOORSTEP_PASSPHRASE`` when set (scripts), else a prompt on the terminal
(``getpass``: nothing echoed). Without either, the command stops with one sentence saying how to
give it. A new database is made encrypted when ``DOORSTEP_PASSPHRASE`` is set, plain otherwise
(tests, demos and benchmarks make plain ones).

    doorstep passphrase --db PATH    old and new passphrase (new twice), or DOORSTEP_PASSPHRASE and
                                     DOORSTEP_NEW_PASSPHRASE; rewrites only the key file
    doorstep encrypt --db PATH       encrypt a plain database and its photos (the app closed)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from desktop.core.i18n import _

PASSPHRASE_ENV = "DOORSTEP_PASSPHRASE"
NEW_PASSPHRASE_ENV = "DOORSTEP_NEW_PASSPHRASE"
EXIT_OK, EXIT_ERROR = 0, 1


def register_encryption_commands(subparsers: Any) -> None:
    """Add ``passphrase`` and ``encrypt`` (desktop.cli COMMAND_MODULES calls this)."""
    change = subparsers.add_parser(
        "passphrase", help=_("修改加密数据库的密码（只改密钥文件，数据不动）")
    )
    change.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    change.set_defaults(handler=run_change_passphrase)
    encrypt = subparsers.add_parser("encrypt", help=_("给未加密的数据库和照片加密"))
    encrypt.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    encrypt.set_defaults(handler=run_encrypt)


def install_passphrase_source() -> None:
    """Let ``open_database`` ask the terminal or the environment (desktop.cli calls this)."""
    from desktop.core.crypto import session

    session.set_passphrase_source(cli_passphrase)


def remove_passphrase_source() -> None:
    from desktop.core.crypto import session

    session.set_passphrase_source(None)


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def cli_passphrase(db_path: Path, purpose: str) -> str | None:
    """The passphrase for ``db_path``: the environment, else the terminal (unlock only)."""
    from desktop.core.crypto.keys import DatabaseLocked

    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if purpose != "unlock":
        return None
    if not _interactive():
        raise DatabaseLocked(
            _("数据库 {path} 已加密：请在终端输入密码，或在脚本中设置环境变量 {env}。").format(
                path=db_path, env=PASSPHRASE_ENV
            )
        )
    return getpass.getpass(_("数据库 {name} 的密码：").format(name=db_path.name))


def _ask_new(env: str) -> str:
    """A new passphrase: from ``env``, else typed twice on the terminal."""
    from desktop.cli import CommandError
    from desktop.core.crypto.keys import check_new_passphrase

    given = os.environ.get(env)
    if given:
        check_new_passphrase(given)
        return given
    if not _interactive():
        raise CommandError(_("请在终端输入新密码，或在脚本中设置环境变量 {env}。").format(env=env))
    first = getpass.getpass(_("新密码："))
    check_new_passphrase(first)
    if getpass.getpass(_("再输入一次新密码：")) != first:
        raise CommandError(_("两次输入的新密码不一样，密码没有修改。"))
    return first


def _ask_current(db_path: Path) -> str:
    from desktop.cli import CommandError

    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not _interactive():
        raise CommandError(
            _("请在终端输入现在的密码，或在脚本中设置环境变量 {env}。").format(env=PASSPHRASE_ENV)
        )
    return getpass.getpass(_("数据库 {name} 现在的密码：").format(name=db_path.name))


def run_change_passphrase(args: argparse.Namespace) -> int:
    from desktop.core.crypto.manage import change_passphrase

    old = _ask_current(args.db)
    new = _ask_new(NEW_PASSPHRASE_ENV)
    change_passphrase(args.db, old, new)
    print(_("密码已修改。以后打开数据库 {name} 请用新密码。").format(name=args.db.name))
    return EXIT_OK


def run_encrypt(args: argparse.Namespace) -> int:
    from desktop.cli import CommandError
    from desktop.core.crypto.keys import is_encrypted
    from desktop.core.crypto.manage import encrypt_existing

    if not args.db.exists():
        raise CommandError(_("找不到数据库文件 {path}。").format(path=args.db))
    passphrase = _ask_current(args.db) if is_encrypted(args.db) else _ask_new(PASSPHRASE_ENV)
    result = encrypt_existing(args.db, passphrase)
    if result.already_encrypted:
        print(_("数据库 {name} 已经是加密的。").format(name=args.db.name))
    else:
        print(_("数据库 {name} 已加密。").format(name=args.db.name))
    if result.photos_sealed:
        print(_("已加密照片文件 {count} 个。").format(count=result.photos_sealed))
    for copy in result.plain_copies:
        print(
            _("注意：旧的未加密备份 {name} 还在，确认不再需要后请删除。").format(name=copy.name),
            file=sys.stderr,
        )
    return EXIT_OK
