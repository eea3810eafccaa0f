"""The backup file: one zip (stored, not compressed: the payload is ciphertext) holding
``manifest.json``, the encrypted database ``database.bin`` and, for an encrypted database, its key
file ``keys.json``. One file, so a stick holds it whole; a zip, so any tool can list it.

Written the way sync writes to sticks: to a ``.partial`` file, fsync, read back from the device
(the page cache dropped first where the system allows) and compared with what was meant to be
written, and only then renamed to its final name. A failure at any step removes the partial file
and leaves every earlier backup as it was.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from desktop.core.backup.errors import BackupError
from desktop.core.backup.manifest import KEY_FILE_NAME, MANIFEST_NAME, PAYLOAD_NAME, Manifest
from desktop.core.durable import fsync_dir
from desktop.core.i18n import _

SUFFIX = ".dsbackup"
PARTIAL = ".partial"
COPY_BLOCK = 1024 * 1024

PayloadWriter = Callable[[IO[bytes]], str]  # writes the payload, returns the plaintext sha256


class _Hashing:
    """A write-only file wrapper that counts and hashes what passes through it."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.inner.write(data)


def write_backup(
    target: Path,
    manifest_for: Callable[[str, int, str], Manifest],
    write_payload: PayloadWriter,
    key_file: bytes | None,
    verify: Callable[[Path, Manifest], None] | None = None,
) -> Manifest:
    """Write the backup file at ``target`` atomically and verify it; returns its manifest.

    ``manifest_for(payload_sha256, payload_size, database_sha256)`` builds the manifest once the
    payload is written (its hashes are only known then). ``verify(partial, manifest)`` runs more
    checks on the read-back before the file gets its name."""
    partial = target.with_name(target.name + PARTIAL)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            with archive.open(PAYLOAD_NAME, "w", force_zip64=True) as entry:
                hashing = _Hashing(entry)
                database_sha256 = write_payload(hashing)  # type: ignore[arg-type]
            manifest = manifest_for(hashing.digest.hexdigest(), hashing.size, database_sha256)
            if key_file is not None:
                archive.writestr(KEY_FILE_NAME, key_file)
            archive.writestr(MANIFEST_NAME, manifest.to_json())
        _sync_file(partial)
        verify_payload_hash(partial, manifest)
        if verify is not None:
            verify(partial, manifest)
        os.replace(partial, target)
        fsync_dir(target.parent)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(write_failure(target.parent, exc)) from exc
        raise
    return manifest


def write_failure(folder: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return _(
            "{folder} 空间不足，备份没有写完；已删除写了一半的文件，以前的备份和数据库都没有动。"
        ).format(folder=folder)
    return _("无法写入备份到 {folder}：{error}。以前的备份和数据库都没有动。").format(
        folder=folder, error=exc.strerror or exc
    )


@contextmanager
def open_backup(path: Path) -> Iterator[tuple[zipfile.ZipFile, Manifest]]:
    """The archive and its manifest; anything that is not a whole backup file raises."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError(
            _("{name} 不是完整的入户通备份文件（可能没有复制完或已损坏）。").format(name=path.name)
        ) from exc
    with archive:
        try:
            raw = archive.read(MANIFEST_NAME)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise BackupError(
                _("{name} 不是完整的入户通备份文件（可能没有复制完或已损坏）。").format(
                    name=path.name
                )
            ) from exc
        yield archive, Manifest.from_json(raw)


def read_manifest(path: Path) -> Manifest:
    with open_backup(path) as (_archive, manifest):
        return manifest


def read_key_file(path: Path) -> bytes | None:
    with open_backup(path) as (archive, _manifest):
        try:
            return archive.read(KEY_FILE_NAME)
        except KeyError:
            return None


@contextmanager
def open_payload(path: Path) -> Iterator[tuple[BinaryIO, Manifest]]:
    with open_backup(path) as (archive, manifest):
        try:
            entry = archive.open(PAYLOAD_NAME)
        except KeyError as exc:
            raise BackupError(_("{name} 里没有数据库。").format(name=path.name)) from exc
        with entry:
            yield entry, manifest  # type: ignore[misc]


def verify_payload_hash(path: Path, manifest: Manifest | None = None) -> Manifest:
    """Read the stored payload back and compare its size and sha256 with the manifest."""
    _drop_cache(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with open_payload(path) as (entry, found):
            manifest = manifest or found
            while block := entry.read(COPY_BLOCK):
                digest.update(block)
                size += len(block)
    except (zipfile.BadZipFile, EOFError) as exc:  # CRC mismatch or a cut-off entry
        raise BackupError(
            _("{name} 已损坏：读出的内容与写入时不一致。").format(name=path.name)
        ) from exc
    if size != manifest.payload_size or digest.hexdigest() != manifest.payload_sha256:
        raise BackupError(_("{name} 已损坏：读出的内容与写入时不一致。").format(name=path.name))
    return manifest


def copy_into(source: Path, target: IO[bytes], progress: Callable[[int], None] | None) -> None:
    with source.open("rb") as handle:
        while block := handle.read(COPY_BLOCK):
            target.write(block)
            if progress is not None:
                progress(len(block))


def free_space(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _sync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _drop_cache(path: Path) -> None:
    """Ask the system to forget its cached copy, so the read-back reads the stick itself."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)
