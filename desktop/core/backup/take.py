"""Taking a backup of an open database: snapshot, check, encrypt into the backup file, read back.

Order matters. The snapshot is checked with ``integrity_check`` before anything is written, so a
damaged database never produces a backup that would later push a good one out. The backup file
is read back and its hashes compared with what was written: for a sealed backup the read-back is
decrypted (authenticating every chunk) and its plaintext hash must equal the checked snapshot's,
so the file on disk is proven to hold exactly the checked copy. The plaintext snapshot is made
beside the database (same disk, same exposure), never on the stick.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from desktop.core.backup import container, sealing, store
from desktop.core.backup.errors import BackupError
from desktop.core.backup.manifest import Manifest
from desktop.core.backup.snapshot import (
    checked_snapshot_info,
    remove_database_file,
    take_snapshot,
)
from desktop.core.database import Database
from desktop.core.i18n import _

Progress = Callable[[int, int, str], None]
APP_VERSION = "0.1.0"
#: One backup or restore per database file at a time (the daily one and a cadre's click).
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def file_lock(db_path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(Path(db_path).resolve(), threading.Lock())


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    seconds: float
    pruned: list[Path]


class _Steps:
    """Progress in four weighted phases, as one 0..100 bar with a sentence per phase."""

    PHASES = {"snapshot": (0, 15), "check": (15, 45), "write": (45, 80), "verify": (80, 100)}

    def __init__(self, progress: Progress | None, cancel: Callable[[], bool] | None) -> None:
        self.progress = progress
        self.cancel = cancel

    def enter(self, phase: str, text: str) -> None:
        if self.cancel is not None and self.cancel():
            raise BackupError(_("备份已取消，没有写入任何文件。"))
        if self.progress is not None:
            self.progress(self.PHASES[phase][0], 100, text)

    def bytes_counter(self, phase: str, total: int, text: str) -> Callable[[int], None]:
        start, end = self.PHASES[phase]
        done = [0]

        def advance(count: int) -> None:
            if self.cancel is not None and self.cancel():
                raise BackupError(_("备份已取消，没有写入任何文件。"))
            done[0] += count
            if self.progress is not None:
                share = min(done[0] / max(total, 1), 1.0)
                self.progress(start + int((end - start) * share), 100, text)

        return advance


def take_backup(
    db: Database,
    folder: Path,
    kind: str = "manual",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> BackupResult:
    """Back up the open database ``db`` into ``folder`` (made if missing)."""
    import time

    started = time.perf_counter()
    steps = _Steps(progress, cancel)
    key = db.data_key
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(container.write_failure(folder, exc)) from exc
    snapshot = db.path.with_name(f"{db.path.name}.backup-snapshot")
    with file_lock(db.path):
        store.remove_stale_partials(folder)
        try:
            steps.enter("snapshot", _("正在复制数据库…"))
            take_snapshot(db.path, snapshot, key)
            steps.enter("check", _("正在检查副本是否完整…"))
            info = checked_snapshot_info(snapshot, key)
            size = snapshot.stat().st_size
            if container.free_space(folder) < size + size // 50 + 65536:  # zip, margin
                raise BackupError(
                    _(
                        "{folder} 空间不足（需要约 {mb} MB），没有备份；以前的备份和数据库都没有动。"
                    ).format(folder=folder, mb=size // (1024 * 1024) + 1)
                )
            created = store.now_local().replace(microsecond=0)
            target = store.free_name(folder, created, info.device_id, kind)
            if key is None:
                scheme, payload_key, key_file = "sealed", sealing.backup_key(db.path), None
            else:
                scheme, payload_key = "sqlcipher", key
                key_file = _key_file_bytes(db.path)

            def manifest_for(payload_sha: str, payload_size: int, database_sha: str) -> Manifest:
                return Manifest(
                    device_id=info.device_id,
                    schema_revision=info.schema_revision,
                    created_at=created.isoformat(),
                    kind=kind,
                    scheme=scheme,
                    key_id=sealing.key_id(payload_key),
                    database_name=db.path.name,
                    database_size=size,
                    database_sha256=database_sha,
                    payload_size=payload_size,
                    payload_sha256=payload_sha,
                    households=info.households,
                    app_version=APP_VERSION,
                )

            writing = steps.bytes_counter("write", size, _("正在加密写入备份…"))

            def write_payload(out: IO[bytes]) -> str:
                steps.enter("write", _("正在加密写入备份…"))
                if scheme == "sealed":
                    with snapshot.open("rb") as source:
                        return sealing.seal(payload_key, source, out, writing)  # type: ignore[arg-type]
                digest = hashlib.sha256()

                class _Tee:
                    def write(self, data: bytes) -> int:
                        digest.update(data)
                        return out.write(data)

                container.copy_into(snapshot, _Tee(), writing)  # type: ignore[arg-type]
                return digest.hexdigest()

            def verify(written: Path, manifest: Manifest) -> None:
                steps.enter("verify", _("正在读回核对备份…"))
                _verify_sealed(written, manifest, payload_key, steps)

            manifest = container.write_backup(target, manifest_for, write_payload, key_file, verify)
        finally:
            remove_database_file(snapshot)
    pruned: list[Path] = []
    if kind == "daily":
        pruned = store.prune(folder, manifest.device_id, store.keep_days())
    if progress is not None:
        progress(100, 100, _("备份完成"))
    return BackupResult(target, manifest, time.perf_counter() - started, pruned)


def _verify_sealed(target: Path, manifest: Manifest, key: bytes, steps: _Steps) -> None:
    """The stored payload's hash was compared already; a sealed payload is also decrypted here,
    and its plaintext must be the checked snapshot byte for byte."""
    if manifest.scheme != "sealed":
        return
    reading = steps.bytes_counter("verify", manifest.payload_size, _("正在读回核对备份…"))
    with container.open_payload(target) as (entry, _found):
        plaintext_sha = sealing.unseal(key, entry, None, reading)
    if plaintext_sha != manifest.database_sha256:
        raise BackupError(_("{name} 已损坏：读出的内容与写入时不一致。").format(name=target.name))


def _key_file_bytes(db_path: Path) -> bytes:
    from desktop.core.crypto.keys import key_file_path

    try:
        return key_file_path(db_path).read_bytes()
    except OSError as exc:
        raise BackupError(
            _("找不到数据库的密钥文件，加密数据库的备份需要它：{error}").format(error=exc)
        ) from exc


def backup_if_due(
    db: Database,
    folder: Path | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> BackupResult | None:
    """The daily backup: taken when this laptop has none from today, then old ones pruned."""
    folder = folder or store.default_folder()
    if not store.daily_due(folder, db.device_id):
        return None
    return take_backup(db, folder, "daily", progress, cancel)
