"""``doorstep backup`` and ``doorstep restore``, and the integrity guard every command passes.

    doorstep backup --db PATH [-o DIR] [--daily] [--keep-days N] [--json]
    doorstep restore --db PATH --list [--from DIR] [--json]
    doorstep restore --db PATH BACKUP [--other-device]

``guard_command`` runs before any subcommand with ``--db``: it finishes or undoes a restore a
crash interrupted and ``quick_check``s the file, so a damaged database stops the command with a
sentence naming ``doorstep restore`` before anything writes to it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.core.i18n import _

UNGUARDED = ("backup", "restore")


def register_backup_commands(subparsers: Any) -> None:
    backup = subparsers.add_parser("backup", help=_("备份数据库（加密，写入后读回核对）"))
    backup.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    backup.add_argument(
        "-o",
        "--output",
        type=Path,
        help=_("备份到这个文件夹（例如 U 盘）；默认为数据文件夹的 backups"),
    )
    backup.add_argument(
        "--daily",
        action="store_true",
        help=_("每日自动备份：今天已备份过就不再备份，并删除过期的备份"),
    )
    backup.add_argument("--keep-days", type=int, help=_("每日备份保留的天数（保存为设置）"))
    backup.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser("restore", help=_("从备份恢复数据库，或列出备份"))
    restore.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    restore.add_argument("backup", type=Path, nargs="?", help=_("备份文件"))
    restore.add_argument("--list", action="store_true", help=_("列出本机的备份"))
    restore.add_argument("--from", dest="folder", type=Path, help=_("在这个文件夹里找备份"))
    restore.add_argument(
        "--other-device",
        action="store_true",
        help=_("允许恢复另一台电脑的备份（只在旧电脑不再使用时）"),
    )
    restore.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    restore.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from desktop.cli import CommandError, open_db, print_json
    from desktop.core.backup import store
    from desktop.core.backup.take import backup_if_due, take_backup

    if args.keep_days is not None:
        if args.keep_days < 1:
            raise CommandError(_("保留天数至少为 1 天。"))
        store.set_keep_days(args.keep_days)
    folder = args.output or store.default_folder()
    with open_db(args.db) as db:
        result = backup_if_due(db, folder) if args.daily else take_backup(db, folder, "manual")
    if result is None:
        if args.json:
            print_json({"taken": False})
        else:
            print(_("今天已经备份过，没有再备份。"))
        return 0
    manifest = result.manifest
    if args.json:
        print_json(
            {
                "taken": True,
                "path": str(result.path),
                "seconds": round(result.seconds, 3),
                "pruned": [str(p) for p in result.pruned],
                "manifest": _manifest_json(manifest),
            }
        )
        return 0
    print(
        _(
            "已备份到 {path}（{households} 户，{mb:.1f} MB，用时 {s:.1f} 秒），已读回核对无误。"
        ).format(
            path=result.path,
            households=manifest.households,
            mb=manifest.payload_size / 1e6,
            s=result.seconds,
        )
    )
    if manifest.scheme == "sealed":
        print(
            _(
                "数据库没有加密，备份用本机的备份密钥 {key} 加密：U 盘丢失不会泄露数据，"
                "但只有本机能恢复它。"
            ).format(key=args.db.name + ".backup-key.json")
        )
    for path in result.pruned:
        print(_("已删除过期的备份 {name}").format(name=path.name))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from desktop.cli import CommandError
    from desktop.core.backup import store

    if args.list:
        return _list(args, args.folder or store.default_folder())
    if args.backup is None:
        raise CommandError(_("请指定要恢复的备份文件，或用 --list 列出备份。"))
    from desktop.core.backup.restore import restore_backup
    from desktop.core.crypto import keys, session

    key = None
    if args.db.exists() and keys.is_encrypted(args.db):
        passphrase = session.ask_passphrase(args.db, "unlock")
        try:
            key = keys.unlock(args.db, passphrase) if passphrase else None
        except keys.KeyFileError:
            key = None  # the backup's own key file is tried with the same passphrase
        result = restore_backup(
            args.backup,
            args.db,
            key=key,
            passphrase=passphrase,
            allow_other_device=args.other_device,
        )
    else:
        result = restore_backup(args.backup, args.db, allow_other_device=args.other_device)
    manifest = result.manifest
    print(
        _("已从 {name} 恢复（备份于 {when}，{households} 户），数据库已检查完整并能打开。").format(
            name=args.backup.name, when=_when(manifest.created_at), households=manifest.households
        )
    )
    if result.previous is not None:
        print(_("恢复前的数据库保存为 {path}。").format(path=result.previous))
    return 0


def _list(args: argparse.Namespace, folder: Path) -> int:
    from desktop.cli import print_json
    from desktop.core.backup.snapshot import read_device_id
    from desktop.core.backup.store import list_backups
    from desktop.core.crypto import session

    device = None
    if args.db.exists():
        device = read_device_id(args.db, session.key_for(args.db))
    entries = list_backups(folder, device)
    if args.json:
        print_json(
            [
                {"path": str(e.path), "manifest": _manifest_json(e.manifest), "problem": e.problem}
                for e in entries
            ]
        )
        return 0
    if not entries:
        print(_("{folder} 里没有本机的备份。").format(folder=folder))
    for entry in entries:
        manifest = entry.manifest
        if manifest is None:
            print(f"{entry.path}  {entry.problem}")
            continue
        kind = _("每日") if manifest.kind == "daily" else _("手动")
        print(
            f"{_when(manifest.created_at)}  {kind}  "
            + _("{households} 户").format(households=manifest.households)
            + f"  {manifest.payload_size / 1e6:.1f} MB  {entry.path}"
        )
    return 0


def _manifest_json(manifest: Any) -> Any:
    if manifest is None:
        return None
    from dataclasses import asdict

    return asdict(manifest)


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:19]


def guard_command(args: argparse.Namespace) -> Callable[[], None] | None:
    """Before a subcommand touches ``--db``: recover an interrupted restore, refuse a damaged file.

    For an encrypted file the key it unlocked stays known for the command (so opening the
    database does not derive it a second time); call what this returns when the command ends."""
    path = getattr(args, "db", None)
    if getattr(args, "command", None) in UNGUARDED or not isinstance(path, Path):
        return None
    from desktop.core.backup import integrity, swap

    note = swap.recover(path)
    if note:
        print(note, file=sys.stderr)
    if not path.exists() or path.stat().st_size == 0:
        return None
    from desktop.core.crypto import keys, session

    if not keys.is_encrypted(path):
        integrity.require_whole(path)
        return None
    passphrase = session.ask_passphrase(path, "unlock")
    if passphrase is None:
        return None  # the command itself will say how to give the passphrase
    data_key = keys.unlock(path, passphrase)
    integrity.require_whole(path, data_key)
    session.remember(path, data_key)
    # Anything else that asks for this file's passphrase (the old one, for `doorstep
    # passphrase`) is answered with the one already given instead of asking the terminal again.
    from desktop.core.crypto.cli_command import cli_passphrase

    def remembered(asked: Path, purpose: str) -> str | None:
        if asked == path and purpose == "unlock":
            return passphrase
        return cli_passphrase(asked, purpose)

    session.set_passphrase_source(remembered)
    return lambda: session.forget(path)
