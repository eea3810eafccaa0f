"""The photo store: files named by their SHA-256 beside the database, with thumbnails.

``<database stem>-photos/ab/abcd….jpg`` holds the original bytes (the same layout sync uses), so a
photo added twice — from the SD card and again from a folder — is kept once and travels once.
The original is never rewritten: EXIF orientation is applied when thumbnails and views are made,
and the time taken is read from EXIF. Files that are not images, are cut short, or are absurdly
large are refused with a sentence saying which file and why; nothing else is affected.

Beside an encrypted database the files are sealed with its data key (desktop.core.crypto.files):
the names stay the SHA-256 of the clear photo, the content is ciphertext. Everything that reads a
photo therefore goes through the store (``open``, ``read_bytes``, ``thumbnail_bytes``) and gets
clear bytes; everything that writes one goes through ``writer``, which seals as it streams.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from desktop.core.crypto import keys, session
from desktop.core.crypto.files import FileCipher, SealedFileError, is_sealed_head
from desktop.core.i18n import _

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 80_000_000  # a 12 MP phone photo is ~12 million; more is a broken or hostile file
THUMB_SIZE = 256
VIEW_SIZE = 1600
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".heic", ".webp", ".bmp", ".tif", ".tiff"})
EXIF_DATETIME_ORIGINAL = 36867
EXIF_DATETIME = 306
EXIF_IFD = 0x8769


class PhotoError(Exception):
    """A file that cannot be taken as a photo; the message names the file."""


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    path: Path
    width: int
    height: int
    taken_at: datetime | None
    size_bytes: int
    source: Path
    already_stored: bool


def store_dir(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.stem}-photos")


class PhotoStore:
    def __init__(self, root: Path, cipher: FileCipher | None = None) -> None:
        self.root = root
        self.cipher = cipher

    @classmethod
    def for_database(cls, db_path: Path) -> PhotoStore:
        """The store beside ``db_path``; sealing when that database is encrypted (its key is
        found among the open, unlocked databases — a locked one raises ``DatabaseLocked``)."""
        db_path = Path(db_path)
        data_key = session.key_for(db_path)
        if data_key is None and keys.is_encrypted(db_path):
            raise keys.DatabaseLocked(
                _("数据库 {path} 已加密并且已锁定，请先输入密码。").format(path=db_path)
            )
        return cls(store_dir(db_path), FileCipher(data_key) if data_key else None)

    @property
    def sealed(self) -> bool:
        return self.cipher is not None

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.jpg"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def thumb_path(self, sha256: str, size: int = THUMB_SIZE) -> Path:
        return self.root / "thumbs" / sha256[:2] / f"{sha256}-{size}.jpg"

    # ------------------------------------------------------------------ adding
    def add(self, source: Path) -> StoredPhoto:
        """Check, hash and store one file; makes its thumbnail on the way."""
        name = source.name
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise PhotoError(
                _("无法读取文件 {name}：{error}").format(name=name, error=exc.strerror)
            ) from exc
        if size == 0:
            raise PhotoError(_("文件 {name} 是空的，不是照片。").format(name=name))
        if size > MAX_FILE_BYTES:
            raise PhotoError(
                _("文件 {name} 太大（{mb:.0f} MB），照片不能超过 {limit} MB。").format(
                    name=name, mb=size / 1048576, limit=MAX_FILE_BYTES // 1048576
                )
            )
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        width, height, taken = self._check_image(source, name, sha)
        target = self.path(sha)
        existed = target.exists()
        if not existed:
            try:
                with source.open("rb") as handle, self.writer(target) as out:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        out.write(chunk)
            except OSError as exc:
                raise PhotoError(
                    _("无法保存照片 {name}：{error}").format(name=name, error=exc.strerror)
                ) from exc
        return StoredPhoto(sha, target, width, height, taken, size, source, existed)

    # ------------------------------------------------------------------ writing files
    @contextmanager
    def writer(self, target: Path) -> Iterator[BinaryIO]:
        """A writable for the file at ``target`` (a photo or thumbnail path of this store):
        sealed when the store is, written to a temp file, fsynced and renamed on success, gone
        on failure — a reader never sees half a file."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw:
                if self.cipher is None:
                    yield raw
                else:
                    sealer = self.cipher.sealer(raw)
                    yield sealer  # type: ignore[misc]
                    sealer.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def seal_existing(self) -> int:
        """Seal every clear file in the store in place (a database just encrypted); returns
        how many. Each file is replaced atomically, so a stop half-way leaves a store that still
        reads (files are told apart by their header) and a second run finishes the job."""
        if self.cipher is None or not self.root.exists():
            return 0
        count = 0
        for path in sorted(self.root.rglob("*.jpg")):
            if path.name.startswith(".") or not path.is_file():
                continue
            with path.open("rb") as handle:
                if is_sealed_head(handle.read(len(b"DSTPSEA1"))):
                    continue
                handle.seek(0)
                with self.writer(path) as out:
                    for chunk in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                        out.write(chunk)
            count += 1
        return count

    # ------------------------------------------------------------------ reading files
    def open_file(self, path: Path) -> BinaryIO:
        """The clear content of a store file (sealed or not), as a seekable binary stream."""
        handle = path.open("rb")
        try:
            head = handle.read(8)
            handle.seek(0)
            if not is_sealed_head(head):
                return handle
            if self.cipher is None:
                raise SealedFileError(
                    _("照片 {name} 是加密的，需要先打开它所属的加密数据库。").format(name=path.name)
                )
            return self.cipher.opener(handle, path.name)  # type: ignore[return-value]
        except BaseException:
            handle.close()
            raise

    def open(self, sha256: str) -> BinaryIO:
        """A photo's clear bytes as a stream (raises FileNotFoundError when it is missing)."""
        return self.open_file(self.path(sha256))

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as handle:
            return handle.read()

    def thumbnail_bytes(self, sha256: str, size: int = THUMB_SIZE) -> bytes | None:
        """The thumbnail's clear JPEG bytes (made on first use); None when the photo is missing
        or unreadable."""
        path = self.thumbnail(sha256, size)
        if path is None:
            return None
        try:
            with self.open_file(path) as handle:
                return handle.read()
        except OSError:
            return None

    def _check_image(self, source: Path, name: str, sha: str) -> tuple[int, int, datetime | None]:
        """Decode the file (at reduced scale, fast) to prove it is a whole image; writes the
        thumbnail from the same decode."""
        try:
            with Image.open(source) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise PhotoError(
                        _("照片 {name} 的像素太多（{w}×{h}），无法处理。").format(
                            name=name, w=img.width, h=img.height
                        )
                    )
                taken = _taken_at(img)
                width, height = _oriented_size(img)
                img.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))
                img.load()
                self._write_thumb(ImageOps.exif_transpose(img), sha, THUMB_SIZE)
        except PhotoError:
            raise
        except UnidentifiedImageError as exc:
            raise PhotoError(
                _("文件 {name} 不是照片（无法识别的图片格式）。").format(name=name)
            ) from exc
        except Image.DecompressionBombError as exc:
            raise PhotoError(_("照片 {name} 的像素太多，无法处理。").format(name=name)) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoError(
                _("照片 {name} 不完整或已损坏（可能没有拷贝完）。").format(name=name)
            ) from exc
        return width, height, taken

    def _write_thumb(self, img: Image.Image, sha: str, size: int) -> Path:
        target = self.thumb_path(sha, size)
        if target.exists():
            return target
        small = img.convert("RGB")
        small.thumbnail((size, size))
        encoded = io.BytesIO()
        small.save(encoded, "JPEG", quality=82)
        with self.writer(target) as out:
            out.write(encoded.getvalue())
        return target

    # ------------------------------------------------------------------ reading
    def thumbnail(self, sha256: str, size: int = THUMB_SIZE) -> Path | None:
        """The thumbnail file, made on first use; None when the photo itself is missing.
        (Sealed in an encrypted store: read it with ``thumbnail_bytes`` or ``open_file``.)"""
        target = self.thumb_path(sha256, size)
        if target.exists():
            return target
        original = self.path(sha256)
        if not original.exists():
            return None
        try:
            with self.open_file(original) as handle, Image.open(handle) as img:
                img.draft("RGB", (size * 2, size * 2))
                img.load()
                return self._write_thumb(ImageOps.exif_transpose(img), sha256, size)
        except (OSError, ValueError, SyntaxError):
            return None


def _oriented_size(img: Image.Image) -> tuple[int, int]:
    """The full-size dimensions as the photo should be seen (EXIF orientation 5–8 swaps them)."""
    orientation = img.getexif().get(0x0112, 1)
    w, h = img.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _taken_at(img: Image.Image) -> datetime | None:
    exif = img.getexif()
    raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    if not raw:
        return None
    try:
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    try:  # the camera's clock is local time: read it in this laptop's time zone
        return taken.astimezone()
    except ValueError:
        return None


def find_images(folder: Path) -> list[Path]:
    """Image files in a folder and below (a camera's SD card: DCIM/100XXXXX/...), sorted."""
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    ]
    return sorted(found)
