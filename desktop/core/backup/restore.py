"""Restoring a backup: check everything first, then swap the files, then prove the result opens.

Nothing about the current database changes until the backup has been read whole (hashes), decrypted
and ``integrity_check``-ed as a file beside the database, its device and schema accepted. Only
then the swap (swap.py); if the restored database does not open, the previous one is put back.
The caller closes its own handles on the database first.

A backup from another laptop is refused unless the caller says so (``allow_other_device``): two
laptops reporting under one device id would make the county's change numbering collide. The case
for allowing it is a replaced laptop whose old one is gone; the GUI asks, the command line wants
``--other-device``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.core.backup import container, sealing, swap
from desktop.core.backup.errors import BackupError, PassphraseNeeded
from desktop.core.backup.integrity import check_database
from desktop.core.backup.manifest import Manifest
from desktop.core.backup.snapshot import read_device_id, read_info, remove_database_file
from desktop.core.backup.take import file_lock
from desktop.core.db import has_plain_header
from desktop.core.i18n import _

Progress = Callable[[int, int, str], None]
RESTORING_SUFFIX = ".restoring"


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    previous: Path | None  # the database as it was, kept as a dated copy
    key: bytes | None  # the restored database's data key (None: a plain database)
    seconds: float


class OtherDevice(BackupError):
    """The backup belongs to another laptop (see the module docstring)."""


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from desktop.core.migrate import MIGRATIONS_DIR

    return [rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()]


def check_backup(path: Path) -> Manifest:
    """Read the manifest and the whole payload back (no key needed): is the file whole?"""
    manifest = container.verify_payload_hash(path)
    if manifest.schema_revision not in known_revisions():
        raise BackupError(
            _("这个备份由较新版本的入户通制作（数据库版本 {rev}），请先升级入户通再恢复。").format(
                rev=manifest.schema_revision
            )
        )
    return manifest


def restore_backup(
    backup: Path,
    db_path: Path,
    *,
    key: bytes | None = None,
    passphrase: str | None = None,
    allow_other_device: bool = False,
    progress: Progress | None = None,
) -> RestoreResult:
    """Replace the (closed) database at ``db_path`` with the backup's database.

    ``key``: the current database's data key when the caller has it unlocked (an encrypted
    backup made with the same key then needs no passphrase); ``passphrase`` opens the key file
    inside an encrypted backup otherwise."""
    started = time.perf_counter()
    report = progress or (lambda _d, _t, _s: None)
    db_path = Path(db_path)
    with file_lock(db_path):
        swap.recover(db_path)
        report(0, 100, _("正在核对备份文件…"))
        manifest = check_backup(backup)
        _check_device(manifest, db_path, key, allow_other_device)
        restore_key, key_file, keep_key_file = _key_for(backup, manifest, db_path, key, passphrase)
        restored = db_path.with_name(db_path.name + RESTORING_SUFFIX)
        try:
            report(25, 100, _("正在解密备份…"))
            _extract(backup, manifest, restored, restore_key, report)
            report(65, 100, _("正在检查恢复出的数据库是否完整…"))
            integrity = check_database(restored, restore_key if key_file else None, full=True)
            if not integrity.ok:
                raise BackupError(
                    _("备份里的数据库已损坏（{problem}），没有恢复，当前数据库没有动。").format(
                        problem=integrity.summary()
                    )
                )
            info = read_info(restored, restore_key if key_file else None)
            if info.device_id != manifest.device_id:
                raise BackupError(_("备份文件的说明与其中的数据库不符，没有恢复。"))
        except BaseException:
            remove_database_file(restored)
            raise
        report(90, 100, _("正在替换数据库…"))
        from desktop.core.crypto.keys import key_file_path

        current_encrypted = (
            key_file_path(db_path).exists() and db_path.exists() and not _is_plain(db_path)
        )
        plan = swap.SwapPlan(
            db_path=db_path,
            restored=restored,
            key_file=None if keep_key_file else key_file,
            drop_key_file=key_file is None and current_encrypted,
            key_file_path=key_file_path(db_path),
        )
        previous = swap.swap_in(plan)
        opened_key = restore_key if key_file else None
        try:
            _prove_it_opens(db_path, opened_key)
        except BaseException as exc:
            swap.roll_back(db_path)
            raise BackupError(
                _("恢复出的数据库打不开（{error}），已退回到原来的数据库。").format(error=exc)
            ) from exc
        swap.finish(db_path, previous)
    report(100, 100, _("恢复完成"))
    return RestoreResult(manifest, previous, opened_key, time.perf_counter() - started)


def _check_device(
    manifest: Manifest, db_path: Path, key: bytes | None, allow_other_device: bool
) -> None:
    if allow_other_device or not db_path.exists():
        return
    current = read_device_id(db_path, key)
    if current is not None and current != manifest.device_id:
        raise OtherDevice(
            _(
                "这个备份来自另一台电脑（设备 {other}），不是本机（设备 {mine}）的。恢复后两台电脑会用"
                "同一个设备编号向县里报数。只有旧电脑不再使用时才应这样做：命令行加 --other-device。"
            ).format(other=manifest.device_id[:8], mine=current[:8])
        )


def _key_for(
    backup: Path, manifest: Manifest, db_path: Path, key: bytes | None, passphrase: str | None
) -> tuple[bytes, bytes | None, bool]:
    """(key that opens the payload, key file to install or None, keep the current key file)."""
    if manifest.scheme == "sealed":
        backup_key = sealing.read_backup_key(db_path)
        if backup_key is None or sealing.key_id(backup_key) != manifest.key_id:
            raise BackupError(
                _(
                    "这个备份是用另一台电脑（或另一个数据库）的备份密钥加密的，本机没有这把密钥，"
                    "无法恢复。"
                )
            )
        return backup_key, None, False
    key_file = container.read_key_file(backup)
    if key_file is None:
        raise BackupError(_("这个加密备份里缺少密钥文件，无法恢复。"))
    if key is not None and sealing.key_id(key) == manifest.key_id:
        return key, key_file, db_path.exists()
    from desktop.core.crypto import keys, session

    if passphrase is None:
        passphrase = session.ask_passphrase(db_path, "unlock")
    if passphrase is None:
        raise PassphraseNeeded(_("这个备份已加密，需要输入备份时的密码才能恢复。"))
    try:
        content = json.loads(key_file.decode("utf-8"))
    except ValueError as exc:
        raise BackupError(_("这个加密备份里的密钥文件已损坏，无法恢复。")) from exc
    data_key = keys.unwrap(content, passphrase)
    if sealing.key_id(data_key) != manifest.key_id:
        raise BackupError(_("这个加密备份里的密钥文件与数据库不符，无法恢复。"))
    return data_key, key_file, False


def _extract(backup: Path, manifest: Manifest, target: Path, key: bytes, report: Progress) -> None:
    remove_database_file(target)
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        report(25 + int(40 * min(done[0] / max(manifest.payload_size, 1), 1.0)), 100, "")

    with container.open_payload(backup) as (entry, _found), target.open("wb") as out:
        if manifest.scheme == "sealed":
            digest = sealing.unseal(key, entry, out, advance)  # type: ignore[arg-type]
        else:
            hashing = hashlib.sha256()
            while block := entry.read(container.COPY_BLOCK):
                hashing.update(block)
                out.write(block)
                advance(len(block))
            digest = hashing.hexdigest()
        out.flush()
        os.fsync(out.fileno())
    if digest != manifest.database_sha256:
        raise BackupError(_("备份文件已损坏：解出的数据库与备份时不一致，没有恢复。"))


def _is_plain(path: Path) -> bool:
    try:
        return has_plain_header(path)
    except OSError:
        return True


def _prove_it_opens(db_path: Path, key: bytes | None) -> None:
    """Open it the way the app does (migrations of an older backup run here), then close."""
    from desktop.core.database import open_database

    open_database(db_path, create=False, key=key).close()
