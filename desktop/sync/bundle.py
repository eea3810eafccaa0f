"""The bundle file: a zip (manifest, changes, photos) signed inside and age-encrypted outside.

Layout of the decrypted payload, as ARCHITECTURE.md fixes it::

    manifest.json            what the bundle is and the name/size/sha256 of every other entry
    manifest.json.minisig    the sender's Ed25519 signature of manifest.json (minisign format)
    changes.jsonl            one change-log entry per line (deflate-compressed in the zip)
    photos/<sha256>.jpg      photo files the changes refer to (stored: JPEGs do not compress)

Signing the manifest covers everything, because it carries every entry's hash; the bundle's own
hash (the chain link the next bundle names) is the SHA-256 of ``manifest.json``, which stays the
same however often the file is re-encrypted or copied. Writing and reading both stream: changes
go through in pieces, photos in 64 KiB chunks, the zip through the age writer, so memory does not
grow with the number or size of photos. Reading decrypts to a private temporary file first:
zipfile needs to seek, and nothing of a payload is trusted before age has authenticated all of it.
That temporary file is itself sealed with a key that lives only in memory while the bundle is
open (desktop.core.crypto.files), so names and ID numbers never lie on the disk in clear, even
for a moment on a laptop whose database is encrypted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, BinaryIO

from desktop.core.crypto.files import FileCipher
from desktop.core.durable import fsync_dir
from desktop.core.i18n import _
from desktop.core.migrate import head_revision
from desktop.core.services.errors import ServiceError
from desktop.sync import agecrypt, minisign

FORMAT_VERSION = 1
SUFFIX = ".dsb"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
CHANGES = "changes.jsonl"
PHOTO_NAME = re.compile(r"photos/([0-9a-f]{64})\.jpg")
COLUMNS = (
    "device_id",
    "seq",
    "tbl",
    "row_id",
    "household_id",
    "field",
    "value",
    "hlc",
    "base_hlc",
    "op",
    "cadre",
    "recorded_at",
    "server_seq",
)
MAX_MANIFEST_BYTES = 64 << 20
MAX_SIGNATURE_BYTES = 16 << 10
MAX_RATIO = 200  # deflated change logs reach ~10:1; a bomb reaches 1000:1
MAX_CHANGES_BYTES = 8 << 30
PIECE = 1 << 16
WRITE_BATCH = 1 << 20


class BundleError(ServiceError):
    """A bundle that cannot be written or must be refused; the message says why."""


@dataclass
class WrittenBundle:
    path: Path
    manifest: dict[str, Any]
    hash: str
    size: int


def bundle_hash(manifest_bytes: bytes) -> str:
    return hashlib.sha256(manifest_bytes).hexdigest()


@cache
def schema_version() -> str:
    return head_revision()


@cache
def known_schemas() -> frozenset[str]:
    """Every schema revision this program knows how to read (the head and its ancestors)."""
    from alembic.script import ScriptDirectory

    from desktop.core.migrate import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(rev.revision for rev in script.walk_revisions())


def bundle_name(device_id: str, number: int) -> str:
    return f"{device_id}-{number:06d}{SUFFIX}"


# --------------------------------------------------------------------------------- writing
class _HashingSink:
    """Counts and hashes what is written into a zip entry, batching small writes."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0
        self.buffer: list[bytes] = []
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.buffer.append(data)
        self.buffered += len(data)
        if self.buffered >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            block = b"".join(self.buffer)
            self.digest.update(block)
            self.size += len(block)
            self.target.write(block)
            self.buffer, self.buffered = [], 0


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_change(entry: dict[str, Any] | tuple[Any, ...]) -> bytes:
    """One line of changes.jsonl: the values in COLUMNS order (a tuple is taken as already in
    that order, which lets exports stream rows straight from SQLite)."""
    values = list(entry) if isinstance(entry, tuple) else [entry.get(c) for c in COLUMNS]
    return (_ENCODER.encode(values) + "\n").encode()


def write_bundle(
    target: Path,
    header: dict[str, Any],
    changes: Iterable[dict[str, Any] | tuple[Any, ...]],
    photos: Iterable[tuple[str, Path]],
    signer: minisign.SigningKey,
    recipients: list[str],
    compresslevel: int = 1,
    open_photo: Callable[[Path], BinaryIO] | None = None,
) -> WrittenBundle:
    """Write ``target`` atomically: a temp file, fsync, rename. Returns the manifest and hash.

    ``open_photo(path)`` gives a photo file's clear bytes (the photo store's ``open_file``: the
    files of an encrypted database are sealed); plain ``open`` when not given.

    Deflate level 1: a change log already shrinks to ~5% of plain JSON with it, and higher
    levels cost more time than the few percent they save are worth on a laptop."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as raw:
            writer = agecrypt.AgeWriter(raw, recipients)
            try:
                manifest = _write_payload(
                    writer, header, changes, photos, signer, compresslevel, open_photo
                )
            except BaseException:
                writer.abort()
                raise
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest_bytes = manifest_text(manifest)
    return WrittenBundle(target, manifest, bundle_hash(manifest_bytes), target.stat().st_size)


def manifest_text(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _write_payload(
    out: Any,
    header: dict[str, Any],
    changes: Iterable[dict[str, Any] | tuple[Any, ...]],
    photos: Iterable[tuple[str, Path]],
    signer: minisign.SigningKey,
    compresslevel: int,
    open_photo: Callable[[Path], BinaryIO] | None = None,
) -> dict[str, Any]:
    opener = open_photo or _open_plain
    entries: list[dict[str, Any]] = []
    count = 0
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as archive:
        with archive.open(CHANGES, "w", force_zip64=True) as member:
            sink = _HashingSink(member)
            for entry in changes:
                sink.write(encode_change(entry))
                count += 1
            sink.flush()
        entries.append({"name": CHANGES, "size": sink.size, "sha256": sink.digest.hexdigest()})
        photo_count = 0
        for sha, path in photos:
            name = f"photos/{sha}.jpg"
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            digest = hashlib.sha256()
            size = 0
            with opener(path) as src, archive.open(info, "w", force_zip64=True) as member:
                while piece := src.read(PIECE):
                    digest.update(piece)
                    size += len(piece)
                    member.write(piece)
            if digest.hexdigest() != sha:
                raise BundleError(
                    _("照片文件 {path} 已损坏（内容与编号不符），请检查照片库。").format(path=path)
                )
            entries.append({"name": name, "size": size, "sha256": sha})
            photo_count += 1
        manifest = {
            **header,
            "format": FORMAT_VERSION,
            "schema": schema_version(),
            "columns": list(COLUMNS),
            "counts": {"changes": count, "photos": photo_count},
            "entries": entries,
            "key_id": signer.key_id_hex,
        }
        manifest_bytes = manifest_text(manifest)
        archive.writestr(MANIFEST, manifest_bytes)
        comment = f"doorstep bundle {header.get('bundle_id', '')}"
        archive.writestr(SIGNATURE, signer.sign(manifest_bytes, trusted_comment=comment))
    return manifest


# --------------------------------------------------------------------------------- reading
@dataclass
class OpenedBundle:
    """A decrypted bundle whose structure has been checked; the signature is checked next."""

    source: Path
    payload: Path
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signature: bytes
    archive: zipfile.ZipFile
    hash: str
    _tmpdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def verify_signature(self, public_key: str) -> None:
        try:
            minisign.verify(self.manifest_bytes, self.signature, public_key)
        except minisign.WrongKeyError:
            raise BundleError(
                _("数据包 {name} 的签名不是来自所登记的设备密钥，拒收。").format(
                    name=self.source.name
                )
            ) from None
        except minisign.MinisignError:
            raise BundleError(
                _("数据包 {name} 的签名无效，内容可能被改动过，拒收。").format(
                    name=self.source.name
                )
            ) from None

    def read_changes(self) -> list[dict[str, Any]]:
        """Every change, after checking the entry's size and hash (nothing is applied before)."""
        declared = self._declared(CHANGES)
        digest = hashlib.sha256()
        size = 0
        entries: list[dict[str, Any]] = []
        columns = self.manifest.get("columns")
        if columns != list(COLUMNS):
            raise self._damaged()
        with self.archive.open(CHANGES) as member:
            tail = b""
            while chunk := member.read(WRITE_BATCH):
                size += len(chunk)
                if size > declared["size"]:
                    raise self._bomb()
                digest.update(chunk)
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                entries.extend(self._parse(line) for line in lines)
            if tail:
                entries.append(self._parse(tail))
        if size != declared["size"] or digest.hexdigest() != declared["sha256"]:
            raise BundleError(
                _("数据包 {name} 中的 {entry} 与清单记录的校验值不符，拒收。").format(
                    name=self.source.name, entry=CHANGES
                )
            )
        if len(entries) != self.manifest.get("counts", {}).get("changes"):
            raise self._damaged()
        return entries

    def _parse(self, line: bytes) -> dict[str, Any]:
        try:
            values = json.loads(line)
        except ValueError:
            raise self._damaged() from None
        if not isinstance(values, list) or len(values) != len(COLUMNS):
            raise self._damaged()
        entry = dict(zip(COLUMNS, values, strict=True))
        entry["change_id"] = f"{entry['device_id']}:{entry['seq']}"
        return entry

    def photo_entries(self) -> list[dict[str, Any]]:
        return [e for e in self.manifest["entries"] if e["name"] != CHANGES]

    def extract_photos(
        self,
        place: Any,
        writer: Callable[[Path], AbstractContextManager[BinaryIO]] | None = None,
    ) -> list[str]:
        """Copy each photo to ``place(sha) -> Path`` (skipping ones already there), verifying
        its hash on the way; a bad photo raises before its file appears.

        ``writer(path)``: the photo store's own writer (it seals files beside an encrypted
        database, and renames into place only when the block ends without an error)."""
        written: list[str] = []
        for item in self.photo_entries():
            sha = PHOTO_NAME.fullmatch(item["name"]).group(1)  # type: ignore[union-attr]
            dest: Path = place(sha)
            if dest.exists():
                continue
            if writer is not None:
                with self.archive.open(item["name"]) as src, writer(dest) as out:
                    self._copy_checked(src, out, item, sha)
                written.append(sha)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
            digest = hashlib.sha256()
            size = 0
            try:
                with self.archive.open(item["name"]) as src, open(tmp, "xb") as out:
                    while piece := src.read(PIECE):
                        size += len(piece)
                        if size > item["size"]:
                            raise self._bomb()
                        digest.update(piece)
                        out.write(piece)
                    out.flush()
                    os.fsync(out.fileno())
                if size != item["size"] or digest.hexdigest() != sha:
                    raise BundleError(
                        _("数据包 {name} 中的 {entry} 与清单记录的校验值不符，拒收。").format(
                            name=self.source.name, entry=item["name"]
                        )
                    )
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(sha)
        return written

    def _copy_checked(self, src: IO[bytes], out: IO[bytes], item: dict[str, Any], sha: str) -> None:
        """Copy one photo entry, refusing it (by raising) when its size or hash is wrong."""
        digest = hashlib.sha256()
        size = 0
        while piece := src.read(PIECE):
            size += len(piece)
            if size > item["size"]:
                raise self._bomb()
            digest.update(piece)
            out.write(piece)
        if size != item["size"] or digest.hexdigest() != sha:
            raise BundleError(
                _("数据包 {name} 中的 {entry} 与清单记录的校验值不符，拒收。").format(
                    name=self.source.name, entry=item["name"]
                )
            )

    def verify_photos(self) -> None:
        """Hash every photo without keeping it (``bundle verify``)."""
        for item in self.photo_entries():
            digest = hashlib.sha256()
            size = 0
            with self.archive.open(item["name"]) as src:
                while piece := src.read(PIECE):
                    size += len(piece)
                    if size > item["size"]:
                        raise self._bomb()
                    digest.update(piece)
            if size != item["size"] or digest.hexdigest() != item["sha256"]:
                raise BundleError(
                    _("数据包 {name} 中的 {entry} 与清单记录的校验值不符，拒收。").format(
                        name=self.source.name, entry=item["name"]
                    )
                )

    def _declared(self, name: str) -> dict[str, Any]:
        return next(e for e in self.manifest["entries"] if e["name"] == name)

    def _damaged(self) -> BundleError:
        return BundleError(
            _("数据包 {name} 的内容格式不正确，拒收。").format(name=self.source.name)
        )

    def _bomb(self) -> BundleError:
        return BundleError(
            _("数据包 {name} 解压后的大小超出清单声明（疑似压缩炸弹），拒收。").format(
                name=self.source.name
            )
        )

    def close(self) -> None:
        sealed = self.archive.fp  # the sealed payload's reader: zipfile leaves it open
        self.archive.close()
        if sealed is not None:
            sealed.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> OpenedBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_bundle(path: Path, identities: list[str], workdir: Path | None = None) -> OpenedBundle:
    """Decrypt and check a bundle's structure; the caller checks the signature and applies."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise BundleError(_("找不到数据包文件 {path}。").format(path=path))
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    tmpdir = tempfile.TemporaryDirectory(prefix="doorstep-bundle-", dir=workdir)
    try:
        payload = Path(tmpdir.name) / "payload.zip.sealed"
        cipher = FileCipher(secrets.token_bytes(32))  # forgotten when the bundle closes
        try:
            with open(path, "rb") as src, open(payload, "xb") as raw:
                sealer = cipher.sealer(raw)
                agecrypt.decrypt_stream(src, sealer, identities)  # type: ignore[arg-type]
                sealer.close()
        except agecrypt.WrongIdentityError:
            raise BundleError(
                _("数据包 {name} 不是加密给本机（或本县）的，无法打开。").format(name=name)
            ) from None
        except agecrypt.TruncatedError:
            raise BundleError(
                _("数据包 {name} 不完整（文件被截断，可能拷贝时中断），拒收。").format(name=name)
            ) from None
        except agecrypt.CorruptedError:
            raise BundleError(_("数据包 {name} 已损坏或被篡改，拒收。").format(name=name)) from None
        except agecrypt.AgeError:
            raise BundleError(_("文件 {name} 不是入户通数据包。").format(name=name)) from None
        reader = cipher.opener(open(payload, "rb"), name)  # noqa: SIM115 - closed with the bundle
        try:
            archive = zipfile.ZipFile(reader)
        except (zipfile.BadZipFile, OSError):
            reader.close()
            raise BundleError(
                _("数据包 {name} 的内容格式不正确，拒收。").format(name=name)
            ) from None
        try:
            manifest_bytes, signature, manifest = _check_structure(archive, name)
        except BaseException:
            archive.close()
            reader.close()
            raise
    except BaseException:
        tmpdir.cleanup()
        raise
    return OpenedBundle(
        path,
        payload,
        manifest,
        manifest_bytes,
        signature,
        archive,
        bundle_hash(manifest_bytes),
        tmpdir,
    )


def _safe_name(entry: str) -> bool:
    return entry in (MANIFEST, SIGNATURE, CHANGES) or PHOTO_NAME.fullmatch(entry) is not None


def _check_structure(archive: zipfile.ZipFile, name: str) -> tuple[bytes, bytes, dict[str, Any]]:
    infos = archive.infolist()
    names = [i.filename for i in infos]
    for entry in names:
        if not _safe_name(entry):
            raise BundleError(
                _("数据包 {name} 中有不允许的文件名“{entry}”，拒收。").format(
                    name=name, entry=entry[:120]
                )
            )
    if len(set(names)) != len(names):
        raise BundleError(_("数据包 {name} 中有重复的文件，拒收。").format(name=name))
    if MANIFEST not in names or SIGNATURE not in names:
        raise BundleError(_("数据包 {name} 缺少清单或签名，拒收。").format(name=name))
    by_name = {i.filename: i for i in infos}
    for small, limit in ((MANIFEST, MAX_MANIFEST_BYTES), (SIGNATURE, MAX_SIGNATURE_BYTES)):
        if by_name[small].file_size > limit:
            raise BundleError(_("数据包 {name} 的清单过大，拒收。").format(name=name))
    manifest_bytes = _read_limited(archive, MANIFEST, MAX_MANIFEST_BYTES, name)
    signature = _read_limited(archive, SIGNATURE, MAX_SIGNATURE_BYTES, name)
    try:
        manifest = json.loads(manifest_bytes)
        if not isinstance(manifest, dict):
            raise ValueError("object expected")
        fmt = manifest.get("format")
        entries = manifest.get("entries")
        if not isinstance(fmt, int) or not isinstance(entries, list):
            raise ValueError("format and entries expected")
        listed = {str(e["name"]): e for e in entries}
        if len(listed) != len(entries) or not all(
            isinstance(e["size"], int) and isinstance(e["sha256"], str) for e in entries
        ):
            raise ValueError("bad entries")
    except (ValueError, KeyError, TypeError):
        raise BundleError(_("数据包 {name} 的清单格式不正确，拒收。").format(name=name)) from None
    if fmt > FORMAT_VERSION:
        raise BundleError(
            _("数据包 {name} 来自更新版本的入户通（格式 {version}），请先升级本程序。").format(
                name=name, version=fmt
            )
        )
    schema = manifest.get("schema")
    if schema != schema_version() and schema not in known_schemas():
        raise BundleError(
            _(
                "数据包 {name} 使用了本程序不认识的数据结构版本（{schema}），请先升级入户通。"
            ).format(name=name, schema=str(schema)[:40])
        )
    present = set(names) - {MANIFEST, SIGNATURE}
    for entry in listed:
        if not _safe_name(entry) or entry in (MANIFEST, SIGNATURE):
            raise BundleError(
                _("数据包 {name} 中有不允许的文件名“{entry}”，拒收。").format(
                    name=name, entry=entry[:120]
                )
            )
        if entry not in present:
            raise BundleError(
                _("数据包 {name} 的清单列出的“{entry}”不在包内，拒收。").format(
                    name=name, entry=entry
                )
            )
    for entry in sorted(present - set(listed)):
        raise BundleError(
            _("数据包 {name} 中有清单未列出的文件“{entry}”，拒收。").format(name=name, entry=entry)
        )
    if CHANGES not in listed:
        raise BundleError(_("数据包 {name} 缺少变更记录，拒收。").format(name=name))
    for entry, declared in listed.items():
        info = by_name[entry]
        if info.file_size != declared["size"] or declared["size"] > MAX_CHANGES_BYTES:
            raise BundleError(
                _("数据包 {name} 中的 {entry} 与清单记录的校验值不符，拒收。").format(
                    name=name, entry=entry
                )
            )
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + PIECE:
            raise BundleError(
                _("数据包 {name} 解压后的大小超出清单声明（疑似压缩炸弹），拒收。").format(
                    name=name
                )
            )
    return manifest_bytes, signature, manifest


def _read_limited(archive: zipfile.ZipFile, entry: str, limit: int, name: str) -> bytes:
    with archive.open(entry) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise BundleError(_("数据包 {name} 的清单过大，拒收。").format(name=name))
    return data


def copy_verified(source: Path, target: Path, progress: Callable[[int], None] | None = None) -> str:
    """Copy a file to ``target`` (temp, fsync, rename), read it back and compare hashes.

    What a USB stick needs: the copy is only reported written once it reads back identical."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src, open(tmp, "xb") as out:
            while piece := src.read(PIECE):
                digest.update(piece)
                out.write(piece)
                if progress is not None:
                    progress(len(piece))
            out.flush()
            os.fsync(out.fileno())
            if hasattr(os, "posix_fadvise"):  # make the read-back come from the stick
                os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    expected = digest.hexdigest()
    if file_sha256(target) != expected:
        target.unlink(missing_ok=True)
        raise BundleError(_("写入 {path} 后读回的内容不一致，U 盘可能有问题。").format(path=target))
    return expected


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while piece := src.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


__all__ = [
    "BundleError",
    "OpenedBundle",
    "WrittenBundle",
    "bundle_hash",
    "bundle_name",
    "copy_verified",
    "open_bundle",
    "write_bundle",
]


def _open_plain(path: Path) -> BinaryIO:
    return open(path, "rb")
