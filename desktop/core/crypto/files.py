"""Sealed files: photos and thumbnails encrypted with the database's data key, as streams.

Why chunks: a 10 MB camera photo is read and written 64 KiB at a time, never held whole in memory
(twice, as one-shot AEAD would need), and a reader can seek (Pillow does) by decrypting only the
chunk it lands in. The layout (the STREAM construction: a counter and a last-chunk flag in each
nonce, so chunks cannot be reordered, dropped or the file cut short without failing)::

    "DSTPSEA1" (8 bytes) | salt (16 bytes) | chunk 0 | chunk 1 | … | last chunk
    chunk = AES-256-GCM(file key, nonce = counter (11 bytes, big-endian) | last (1 byte),
                        up to 64 KiB of the clear file, associated data = magic + salt) + 16-byte tag

Each file has its own key, HKDF(files key, salt), so nonces never repeat across files; the files
key is HKDF(data key, "doorstep files v1"), so photos never use the SQLCipher key itself.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop.core.i18n import _

MAGIC = b"DSTPSEA1"
SALT_BYTES = 16
HEADER_BYTES = len(MAGIC) + SALT_BYTES
CHUNK = 64 * 1024
TAG = 16


class SealedFileError(OSError):
    """A sealed file that does not open: damaged, cut short, or sealed with another key.

    An ``OSError`` so that code treating an unreadable photo as missing keeps doing so."""


def is_sealed_head(head: bytes) -> bool:
    return head.startswith(MAGIC)


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as handle:
        return is_sealed_head(handle.read(len(MAGIC)))


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class FileCipher:
    """Seals and opens files with keys derived from one database's data key."""

    def __init__(self, data_key: bytes) -> None:
        self._files_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"doorstep files v1"
        ).derive(data_key)

    def _aead(self, salt: bytes) -> AESGCM:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=salt, info=b"doorstep file key"
        ).derive(self._files_key)
        return AESGCM(key)

    def sealer(self, target: BinaryIO) -> SealingWriter:
        """A writable that seals into ``target``; ``close()`` writes the last chunk."""
        return SealingWriter(self, target)

    def opener(self, source: BinaryIO, name: str = "") -> io.BufferedReader:
        """A readable, seekable clear view of the sealed ``source`` (which must be seekable)."""
        return io.BufferedReader(OpeningReader(self, source, name), CHUNK)

    def seal_bytes(self, data: bytes) -> bytes:
        out = io.BytesIO()
        writer = self.sealer(out)
        writer.write(data)
        writer.close()
        return out.getvalue()

    def open_bytes(self, sealed: bytes, name: str = "") -> bytes:
        with self.opener(io.BytesIO(sealed), name) as reader:
            return reader.read()


class SealingWriter(io.RawIOBase):
    """Buffers at most one chunk; a chunk is sealed once the next byte shows it is not the last."""

    def __init__(self, cipher: FileCipher, target: BinaryIO) -> None:
        super().__init__()
        salt = secrets.token_bytes(SALT_BYTES)
        self._aead = cipher._aead(salt)
        self._target = target
        self._header = MAGIC + salt
        self._buffer = bytearray()
        self._index = 0
        self._finished = False
        target.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._finished:
            raise ValueError("write to a finished sealed file")
        view = memoryview(data).cast("B")
        self._buffer += view
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(view)

    def _emit(self, plain: bytes, last: bool) -> None:
        self._target.write(self._aead.encrypt(_nonce(self._index, last), plain, self._header))
        self._index += 1

    def close(self) -> None:
        """Seal the last chunk (the target stays open: its owner fsyncs and renames it)."""
        if not self._finished:
            self._finished = True
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class OpeningReader(io.RawIOBase):
    """Decrypts the chunk a read lands in; keeps one decrypted chunk."""

    def __init__(self, cipher: FileCipher, source: BinaryIO, name: str = "") -> None:
        super().__init__()
        self._source = source
        self._name = name
        header = source.read(HEADER_BYTES)
        if len(header) != HEADER_BYTES or not is_sealed_head(header):
            raise self._damaged()
        self._header = header
        self._aead = cipher._aead(header[len(MAGIC) :])
        total = source.seek(0, io.SEEK_END)
        body = total - HEADER_BYTES
        self._chunks = max(1, -(-body // (CHUNK + TAG)))
        last_size = body - (self._chunks - 1) * (CHUNK + TAG)
        if last_size < TAG:
            raise self._damaged()
        self._size = body - self._chunks * TAG
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def _damaged(self) -> SealedFileError:
        return SealedFileError(
            _("加密文件 {name} 已损坏，或不是用这个数据库的密钥加密的。").format(
                name=self._name or "?"
            )
        )

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._source.seek(HEADER_BYTES + index * (CHUNK + TAG))
        sealed = self._source.read(CHUNK + TAG)
        try:
            plain = self._aead.decrypt(
                _nonce(index, index == self._chunks - 1), sealed, self._header
            )
        except InvalidTag:
            raise self._damaged() from None
        self._cached = (index, plain)
        return plain

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, CHUNK)
        plain = self._chunk(index)
        piece = plain[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)

    def close(self) -> None:
        if not self.closed:
            self._source.close()
            self._cached = None
        super().close()
