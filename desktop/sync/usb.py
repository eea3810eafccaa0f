"""Exchanging bundles with a USB stick (or any folder the township relays).

A stick holds ``Doorstep/outbox/`` (bundles for the county, from every laptop that used it) and
``Doorstep/inbox/<device>/`` (the county's bundles for each laptop). One exchange:

1. import everything in our inbox folder (applied, already applied, held or refused, each with its
   reason) — first, so the county's acknowledgements prune our outbox before we write;
2. bundle what we changed since the last bundle;
3. write every unacknowledged bundle to the stick's outbox: temp file, fsync, rename, then read it
   back and compare hashes (its detached signature first, for the township relay to check);
   remove our bundles the county has acknowledged;
4. only then report that the stick can be removed.

A stick pulled out during step 3 leaves the old outbox intact: files appear under their final
name only once complete, and a half-written temp file is never taken for a bundle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.database import Database
from desktop.core.durable import fsync_dir
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import detached
from desktop.sync.bundle import SUFFIX, copy_verified, file_sha256
from desktop.sync.exchange import ImportReport, export_bundles, import_bundles, outbox_dir

Progress = Callable[[str, int, int], None]  # (what, done bytes, total bytes)


class UsbError(ServiceError):
    """The stick cannot be used; nothing was changed on it."""


@dataclass
class UsbReport:
    written: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    imported: ImportReport = field(default_factory=ImportReport)
    new_changes: int = 0
    safe_to_remove: bool = False

    def lines(self) -> list[str]:
        """The report as sentences, for the command line and the sync window."""
        out = [o.message for o in self.imported.outcomes]
        if self.written:
            out.append(
                _("已写入 U 盘 {count} 个数据包（含 {changes} 条新变更），已读回核对无误。").format(
                    count=len(self.written), changes=self.new_changes
                )
            )
        if self.already_there:
            out.append(
                _("U 盘上已有 {count} 个尚未被县里确认的数据包，保持不变。").format(
                    count=len(self.already_there)
                )
            )
        if self.removed:
            out.append(
                _("已从 U 盘删除 {count} 个县里已确认收到的数据包。").format(
                    count=len(self.removed)
                )
            )
        if not (self.written or self.already_there or self.imported.outcomes):
            out.append(_("没有需要交换的数据。"))
        if self.safe_to_remove:
            out.append(_("交换完成，现在可以拔出 U 盘。"))
        return out


def stick_paths(stick: Path, device_id: str) -> tuple[Path, Path]:
    root = Path(stick) / "Doorstep"
    return root / "outbox", root / "inbox" / device_id


def sync_stick(db: Database, stick: Path, progress: Progress | None = None) -> UsbReport:
    """One exchange with a stick; see the module docstring for the steps."""
    stick = Path(stick)
    if not stick.is_dir():
        raise UsbError(_("找不到 U 盘或文件夹 {path}。").format(path=stick))
    device_id = db.device_id
    outbox, inbox = stick_paths(stick, device_id)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        inbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsbError(
            _("无法在 {path} 上建立文件夹（{error}），U 盘可能写保护或已满。").format(
                path=stick, error=exc.strerror or exc
            )
        ) from None
    report = UsbReport()
    incoming = sorted(p for p in inbox.glob(f"*{SUFFIX}") if p.is_file())
    if incoming:
        report.imported = import_bundles(db, incoming)
        for outcome in report.imported.outcomes:
            if outcome.status != "refused" and outcome.path.parent == inbox:
                outcome.path.unlink(missing_ok=True)
    exported = export_bundles(db)
    report.new_changes = exported.changes
    wanted = {p.name: p for p in sorted(outbox_dir(db).glob(f"*{SUFFIX}"))}
    total = sum(p.stat().st_size for p in wanted.values())
    done = 0
    for name, source in wanted.items():
        target = outbox / name
        _copy_signature(source, target)  # first: a bundle on the stick always has its signature
        size = source.stat().st_size
        same_size = target.is_file() and target.stat().st_size == size
        if same_size and file_sha256(target) == file_sha256(source):
            report.already_there.append(name)
            done += size
            _tell(progress, name, done, total)
            continue

        def advance(count: int, name: str = name) -> None:
            nonlocal done
            done += count
            _tell(progress, name, done, total)

        copy_verified(source, target, advance)
        report.written.append(name)
    for stale in sorted(outbox.glob(f"{device_id}-*{SUFFIX}")):
        if stale.name not in wanted:
            stale.unlink(missing_ok=True)
            report.removed.append(stale.name)
    for signature in outbox.glob(f"{device_id}-*{SUFFIX}{detached.SIGNATURE_SUFFIX}"):
        if signature.name.removesuffix(detached.SIGNATURE_SUFFIX) not in wanted:
            signature.unlink(missing_ok=True)
    for leftover in outbox.glob(f".{device_id}-*.part"):
        leftover.unlink(missing_ok=True)
    fsync_dir(outbox)
    report.safe_to_remove = True
    return report


def _copy_signature(source: Path, target: Path) -> None:
    """The bundle's detached signature (what the township relay checks) onto the stick."""
    signature = detached.signature_path(source)
    on_stick = detached.signature_path(target)
    if on_stick.is_file() and on_stick.read_bytes() == signature.read_bytes():
        return
    copy_verified(signature, on_stick)


def _tell(progress: Progress | None, what: str, done: int, total: int) -> None:
    if progress is not None:
        progress(what, done, total)
