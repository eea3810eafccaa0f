"""age v1 encryption (https://age-encryption.org/v1) for sync bundles, X25519 recipients only.

Bundles travel on USB sticks that get lost, so their payload is encrypted to the county's key in
the standard age format: the county (or anyone auditing us) can decrypt a bundle with the stock
``age -d -i key.txt`` tool, and we can read what stock ``age -e -r age1...`` wrote.

Everything streams in 64 KiB chunks so memory stays at one chunk whatever the file size. A
streamed plaintext is authenticated chunk by chunk, but a cut-off file is only detected at the
end: treat what :class:`AgeReader` or :func:`decrypt_stream` gave you as provisional until they
reach the end without error. :func:`decrypt_to_file` does that for you (temp file, then rename).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop.core.i18n import _
from desktop.sync import bech32

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

VERSION_LINE = b"age-encryption.org/v1"
X25519_LABEL = b"age-encryption.org/v1/X25519"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
RECIPIENT_HRP = "age"
IDENTITY_HRP = "AGE-SECRET-KEY-"

FILE_KEY_SIZE = 16
PAYLOAD_NONCE_SIZE = 16
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
BODY_COLUMNS = 64
# Headers are a few hundred bytes per recipient; the caps only stop a hostile file from making
# us buffer without end before we have authenticated anything.
MAX_HEADER_LINE = 4096
MAX_HEADER_SIZE = 1 << 20
_ZERO_NONCE = bytes(12)


class AgeError(Exception):
    """Anything wrong with an age file or key; ``str(err)`` is a sentence for the user."""


class MalformedError(AgeError):
    """The input is not age at all, or a key string is not a key."""


class WrongIdentityError(AgeError):
    """The file is fine but was encrypted to somebody else."""


class CorruptedError(AgeError):
    """Authentication failed or extra bytes follow: the file was damaged or tampered with."""


class TruncatedError(AgeError):
    """The file ends before its marked last chunk (an interrupted copy, a pulled USB stick)."""


# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class X25519Recipient:
    """A public key that files can be encrypted to (``age1...``)."""

    public_bytes: bytes

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self.public_bytes)


@dataclass(frozen=True)
class X25519Identity:
    """A secret key that opens files encrypted to its recipient (``AGE-SECRET-KEY-1...``)."""

    secret_bytes: bytes = field(repr=False)

    @property
    def recipient(self) -> X25519Recipient:
        public = _private_key(self.secret_bytes).public_key()
        return X25519Recipient(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def __str__(self) -> str:
        return bech32.encode(IDENTITY_HRP, self.secret_bytes).upper()


def _private_key(secret: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(secret)


def generate_identity() -> tuple[str, str]:
    """Make a new key pair; returns (``AGE-SECRET-KEY-1...``, ``age1...``)."""
    secret = _private_key_bytes(X25519PrivateKey.generate())
    identity = X25519Identity(secret)
    return str(identity), str(identity.recipient)


def _private_key_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def parse_recipient(text: str) -> X25519Recipient:
    """Read an ``age1...`` string; a clear error if it is anything else."""
    value = text.strip()
    try:
        hrp, data = bech32.decode(value)
    except bech32.Bech32Error:
        hrp, data = "", b""
    if hrp != RECIPIENT_HRP or len(data) != 32:
        raise MalformedError(_("不是有效的 age 公钥：{value}").format(value=value[:80]))
    return X25519Recipient(data)


def parse_identity(text: str) -> X25519Identity:
    """Read one ``AGE-SECRET-KEY-1...`` line. The error never repeats the secret back."""
    value = text.strip()
    try:
        hrp, data = bech32.decode(value)
    except bech32.Bech32Error:
        hrp, data = "", b""
    if hrp != IDENTITY_HRP or len(data) != 32:
        raise MalformedError(_("不是有效的 age 私钥（应以 AGE-SECRET-KEY-1 开头）。"))
    return X25519Identity(data)


def parse_identities(text: str) -> list[X25519Identity]:
    """Read an identity file as ``age-keygen`` writes it: ``#`` comments, blank lines, keys."""
    identities = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            identities.append(parse_identity(line))
    if not identities:
        raise MalformedError(_("身份文件里没有 age 私钥。"))
    return identities


def recipient_of(identity: str) -> str:
    """The ``age1...`` public key that belongs to a secret key (or identity file text)."""
    return str(parse_identities(identity)[0].recipient)


def _as_recipients(recipients: Iterable[str | X25519Recipient]) -> list[X25519Recipient]:
    parsed = [r if isinstance(r, X25519Recipient) else parse_recipient(r) for r in recipients]
    if not parsed:
        raise MalformedError(_("没有指定收件人公钥，无法加密。"))
    return parsed


def _as_identities(identities: Iterable[str | X25519Identity]) -> list[X25519Identity]:
    parsed: list[X25519Identity] = []
    for item in identities:
        parsed.extend([item] if isinstance(item, X25519Identity) else parse_identities(item))
    if not parsed:
        raise MalformedError(_("没有指定私钥，无法解密。"))
    return parsed


# ---------------------------------------------------------------------------------------------
# Header


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def _b64encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Strict unpadded base64, as the spec demands: one text, one meaning."""
    if b"=" in text or b"\r" in text or b"\n" in text:
        raise ValueError("padding or line break")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc
    if _b64encode(data) != text:
        raise ValueError("non-canonical base64")
    return data


@dataclass
class _Stanza:
    kind: bytes
    args: list[bytes]
    body: bytes


def _stanza_bytes(stanza: _Stanza) -> bytes:
    encoded = _b64encode(stanza.body)
    lines = [encoded[i : i + BODY_COLUMNS] for i in range(0, len(encoded), BODY_COLUMNS)]
    if not lines or len(lines[-1]) == BODY_COLUMNS:
        lines.append(b"")  # the body ends with the first line shorter than 64 columns
    return b" ".join([b"->", stanza.kind, *stanza.args]) + b"\n" + b"\n".join(lines) + b"\n"


def _wrap_file_key(file_key: bytes, recipient: X25519Recipient) -> _Stanza:
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public_bytes))
    wrap_key = _hkdf(shared, share + recipient.public_bytes, X25519_LABEL)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return _Stanza(b"X25519", [_b64encode(share)], body)


def _unwrap_file_key(stanza: _Stanza, identity: X25519Identity) -> bytes | None:
    """The file key if this stanza was made for ``identity``; None if it was made for another."""
    try:
        if len(stanza.args) != 1:
            raise ValueError("X25519 stanza takes one argument")
        share = _b64decode(stanza.args[0])
        if len(share) != 32 or len(stanza.body) != FILE_KEY_SIZE + TAG_SIZE:
            raise ValueError("wrong sizes")
        # cryptography refuses low-order points (an all-zero shared secret) with ValueError.
        shared = _private_key(identity.secret_bytes).exchange(
            X25519PublicKey.from_public_bytes(share)
        )
    except ValueError as exc:
        raise MalformedError(_("加密文件的收件人信息格式错误，文件已损坏。")) from exc
    ours = identity.recipient.public_bytes
    wrap_key = _hkdf(shared, share + ours, X25519_LABEL)
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
    except InvalidTag:
        return None


def _header_mac(file_key: bytes, header_up_to_dashes: bytes) -> bytes:
    mac_key = _hkdf(file_key, b"", b"header")
    return hmac.new(mac_key, header_up_to_dashes, sha256).digest()


def _write_header(dst: BinaryIO, recipients: Sequence[X25519Recipient]) -> bytes:
    """Write the header and payload nonce; return the payload key."""
    file_key = secrets.token_bytes(FILE_KEY_SIZE)
    header = VERSION_LINE + b"\n"
    for recipient in recipients:
        header += _stanza_bytes(_wrap_file_key(file_key, recipient))
    header += b"---"
    mac = _header_mac(file_key, header)
    nonce = secrets.token_bytes(PAYLOAD_NONCE_SIZE)
    dst.write(header + b" " + _b64encode(mac) + b"\n" + nonce)
    return _hkdf(file_key, nonce, b"payload")


class _HeaderReader:
    """Reads header lines off the stream while keeping the exact bytes the MAC covers."""

    def __init__(self, src: BinaryIO) -> None:
        self.src = src
        self.raw = bytearray()

    def line(self) -> bytes:
        line = self.src.readline(MAX_HEADER_LINE + 1)
        self.raw += line
        if not line.endswith(b"\n"):
            if len(line) > MAX_HEADER_LINE:
                raise _bad_header()
            raise TruncatedError(_("加密文件不完整（文件头被截断），可能在复制时中断了。"))
        if len(self.raw) > MAX_HEADER_SIZE:
            raise _bad_header()
        return line[:-1]


def _bad_header() -> MalformedError:
    return MalformedError(_("不是有效的 age 加密文件（文件头格式错误）。"))


def _is_arg(token: bytes) -> bool:
    return bool(token) and all(33 <= c <= 126 for c in token)


def _read_header(src: BinaryIO) -> tuple[list[_Stanza], bytes, bytes]:
    """Parse the header; returns (stanzas, bytes covered by the MAC, MAC)."""
    reader = _HeaderReader(src)
    first = src.readline(len(VERSION_LINE) + 1)
    reader.raw += first
    if first != VERSION_LINE + b"\n":
        if not first:
            raise TruncatedError(_("加密文件是空的。"))
        if first.startswith(ARMOR_BEGIN[:14]):
            raise MalformedError(_("这是 ASCII 封装（armor）格式的 age 文件，请改用二进制格式。"))
        if (VERSION_LINE + b"\n").startswith(first):
            raise _truncated()
        raise _bad_header()
    stanzas: list[_Stanza] = []
    line = reader.line()
    while line.startswith(b"-> "):
        tokens = line[3:].split(b" ")
        if not all(_is_arg(t) for t in tokens):
            raise _bad_header()
        body = bytearray()
        while True:
            chunk = reader.line()
            if len(chunk) > BODY_COLUMNS:
                raise _bad_header()
            try:
                body += _b64decode(chunk)
            except ValueError as exc:
                raise _bad_header() from exc
            if len(chunk) < BODY_COLUMNS:
                break
        stanzas.append(_Stanza(tokens[0], tokens[1:], bytes(body)))
        line = reader.line()
    if not line.startswith(b"--- ") or not stanzas:
        raise _bad_header()
    try:
        mac = _b64decode(line[4:])
    except ValueError as exc:
        raise _bad_header() from exc
    if len(mac) != 32:
        raise _bad_header()
    covered = bytes(reader.raw[: len(reader.raw) - len(line) - 1]) + b"---"
    return stanzas, covered, mac


def _open_header(src: BinaryIO, identities: Sequence[X25519Identity]) -> bytes:
    """Read and authenticate the header and payload nonce; return the payload key."""
    stanzas, covered, mac = _read_header(src)
    file_key = None
    for stanza in stanzas:
        if stanza.kind != b"X25519":
            continue  # other recipient types (and grease) are not for us: the spec says skip
        for identity in identities:
            file_key = _unwrap_file_key(stanza, identity)
            if file_key is not None:
                break
        if file_key is not None:
            break
    if file_key is None:
        raise WrongIdentityError(_("这个文件不是发给本机的，本机的私钥无法解密它。"))
    if not hmac.compare_digest(_header_mac(file_key, covered), mac):
        raise CorruptedError(_("加密文件的文件头已损坏或被篡改。"))
    nonce = _read_exactly(src, PAYLOAD_NONCE_SIZE)
    if len(nonce) != PAYLOAD_NONCE_SIZE:
        raise _truncated()
    return _hkdf(file_key, nonce, b"payload")


# ---------------------------------------------------------------------------------------------
# Payload (STREAM: 64 KiB chunks, 11-byte big-endian counter, last-chunk flag)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    if counter >= 1 << 88:
        raise AgeError(_("文件太大，超出了 age 格式的上限。"))
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _read_exactly(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at end of stream (raw streams may return short reads)."""
    first = src.read(size)
    if not first or len(first) == size:
        return first
    parts = bytearray(first)
    while len(parts) < size:
        piece = src.read(size - len(parts))
        if not piece:
            break
        parts += piece
    return bytes(parts)


def _truncated() -> TruncatedError:
    return TruncatedError(_("加密文件不完整（被截断），可能在复制时中断了。"))


def _damaged() -> CorruptedError:
    return CorruptedError(_("加密文件的内容已损坏或被篡改，无法解密。"))


class AgeWriter(io.RawIOBase):
    """A write-only file object that encrypts to ``recipients`` as you write.

    Pass it to ``zipfile.ZipFile(writer, mode="w")``: it tells its position but cannot seek, which
    zipfile handles by writing data descriptors. Call :meth:`close` to seal the last chunk. Leaving
    a ``with`` block on an exception, or dropping the writer unclosed, does NOT seal it, so a
    half-written payload can never pass for a complete one.
    """

    def __init__(
        self, dst: BinaryIO, recipients: Sequence[str | X25519Recipient], *, close_dst: bool = False
    ) -> None:
        super().__init__()
        parsed = _as_recipients(recipients)
        self._dst = dst
        self._close_dst = close_dst
        self._aead = ChaCha20Poly1305(_write_header(dst, parsed))
        self._counter = 0
        self._buffer = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def write(self, data: ReadableBuffer) -> int:
        if self.closed:
            raise ValueError("write to closed AgeWriter")
        view = memoryview(data).cast("B")
        # A full chunk is held back until more data arrives, because only then do we know it is
        # not the last one (a payload whose size is a multiple of 64 KiB ends on a full chunk).
        offset = 0
        while offset < len(view):
            if len(self._buffer) == CHUNK_SIZE:
                self._seal(last=False)
            take = min(CHUNK_SIZE - len(self._buffer), len(view) - offset)
            self._buffer += view[offset : offset + take]
            offset += take
        self._position += len(view)
        return len(view)

    def _seal(self, last: bool) -> None:
        nonce = _chunk_nonce(self._counter, last)
        self._dst.write(self._aead.encrypt(nonce, bytes(self._buffer), None))
        self._buffer.clear()
        self._counter += 1

    def flush(self) -> None:
        if not self.closed:
            self._dst.flush()

    def close(self) -> None:
        """Seal the final chunk (empty only if nothing was written) and finish the file."""
        if self.closed:
            return
        self._seal(last=True)
        self._dst.flush()
        self._finish()

    def abort(self) -> None:
        """Stop without sealing: what was written cannot be decrypted as a complete file."""
        if not self.closed:
            self._finish()

    def _finish(self) -> None:
        self._buffer.clear()
        if self._close_dst:
            self._dst.close()
        super().close()

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # io.IOBase would call close() here, sealing a payload that was never finished.
        pass


class AgeReader(io.RawIOBase):
    """A read-only file object that decrypts an age stream with one of ``identities``.

    Opening reads the header, so a wrong key or a damaged header fails at once. Each chunk is
    authenticated before any of it is returned; truncation shows up as an error at the end.
    """

    def __init__(
        self, src: BinaryIO, identities: Sequence[str | X25519Identity], *, close_src: bool = False
    ) -> None:
        super().__init__()
        self._src = src
        self._close_src = close_src
        self._aead = ChaCha20Poly1305(_open_header(src, _as_identities(identities)))
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self.closed:
            raise ValueError("read from closed AgeReader")
        target = memoryview(buffer).cast("B")
        while self._offset == len(self._plain):
            if self._done:
                return 0
            self._plain, self._offset = self._next_chunk(), 0
        count = min(len(target), len(self._plain) - self._offset)
        target[:count] = self._plain[self._offset : self._offset + count]
        self._offset += count
        return count

    def _next_chunk(self) -> bytes:
        sealed = _read_exactly(self._src, ENCRYPTED_CHUNK_SIZE)
        if len(sealed) < TAG_SIZE:
            # Also covers a clean cut at a chunk boundary: the stream must end on a marked chunk.
            raise _truncated()
        if len(sealed) < ENCRYPTED_CHUNK_SIZE:
            if len(sealed) == TAG_SIZE and self._counter > 0:
                # The spec allows an empty last chunk only for an empty payload.
                raise _damaged()
            plain = self._open(sealed, last=True)
        else:
            try:
                plain = self._aead.decrypt(_chunk_nonce(self._counter, False), sealed, None)
            except InvalidTag:
                plain = self._open(sealed, last=True)  # a full-size final chunk
        self._counter += 1
        if self._done and self._src.read(1):
            raise CorruptedError(_("加密文件的末尾有多余的数据，文件可能已损坏。"))
        return plain

    def _open(self, sealed: bytes, last: bool) -> bytes:
        try:
            plain = self._aead.decrypt(_chunk_nonce(self._counter, last), sealed, None)
        except InvalidTag:
            # A short chunk that does not authenticate is usually a file cut mid-chunk, but we
            # cannot tell that from tampering; both mean "do not trust this file".
            raise _damaged() from None
        self._done = last
        return plain

    def close(self) -> None:
        if not self.closed:
            self._plain = b""
            if self._close_src:
                self._src.close()
        super().close()


# ---------------------------------------------------------------------------------------------
# Whole streams and files


def encrypt_stream(
    src: BinaryIO, dst: BinaryIO, recipients: Sequence[str | X25519Recipient]
) -> int:
    """Encrypt everything readable from ``src`` into ``dst``; returns the plaintext size."""
    writer = AgeWriter(dst, recipients)
    try:
        while piece := src.read(CHUNK_SIZE):
            writer.write(piece)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.tell()


def decrypt_stream(src: BinaryIO, dst: BinaryIO, identities: Sequence[str | X25519Identity]) -> int:
    """Decrypt ``src`` into ``dst``; returns the plaintext size. On error ``dst`` holds a prefix."""
    reader = AgeReader(src, identities)
    total = 0
    buffer = bytearray(CHUNK_SIZE)
    while count := reader.readinto(buffer):
        dst.write(memoryview(buffer)[:count])
        total += count
    reader.close()
    return total


def _write_atomically(dst_path: Path, fill: Callable[[BinaryIO], int]) -> int:
    """Run ``fill(tmp_file)`` then rename over ``dst_path``; on any error leave no file behind."""
    tmp = dst_path.with_name(f".{dst_path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as out:
            size = fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


def encrypt_file(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    recipients: Sequence[str | X25519Recipient],
) -> int:
    """Encrypt a file; ``dst_path`` appears only once it is complete."""
    parsed = _as_recipients(recipients)
    with open(src_path, "rb") as src:
        return _write_atomically(Path(dst_path), lambda out: encrypt_stream(src, out, parsed))


def decrypt_to_file(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    identities: Sequence[str | X25519Identity],
) -> int:
    """Decrypt a file; ``dst_path`` appears only if the whole file authenticated.

    This is the way to open an encrypted zip: zipfile needs to seek, and the plaintext must not
    be trusted before the last chunk has checked out.
    """
    parsed = _as_identities(identities)
    with open(src_path, "rb") as src:
        return _write_atomically(Path(dst_path), lambda out: decrypt_stream(src, out, parsed))
