"""Ed25519 signatures in minisign's format (https://jedisct1.github.io/minisign/).

A bundle's manifest is signed by the laptop that made it; we use minisign's format so the county,
or an auditor, can check a bundle with the stock ``minisign -V -p key.pub -m manifest.json``.

Formats, as minisign defines them (all base64 is standard, padded):

* Public key ``RW...``: base64 of ``b"Ed" + key_id (8 random bytes) + Ed25519 public key (32)``.
  The ``.pub`` file is ``untrusted comment: minisign public key <ID>`` plus that line; ``<ID>``
  is the key id read as a little-endian 64-bit number in upper-case hex, as minisign prints it.
* Signature (``.minisig``), four lines: an untrusted comment; base64 of
  ``alg + key_id + signature`` where alg ``ED`` signs BLAKE2b-512(message) (minisign's default
  since 0.8, so files can be hashed in a stream) and ``Ed`` signs the message itself (legacy);
  ``trusted comment: <text>``; base64 of the global signature over ``signature + text``, which
  is what makes the trusted comment trustworthy.
* Secret key file: minisign's own format without a password (what ``minisign -G -W`` writes), so
  the stock tool can sign with our keys and we can load its keys. Line 1 is an untrusted comment,
  line 2 base64 of ``b"Ed" + b"\\0\\0" (no KDF) + b"B2" + 32-byte salt + 8-byte opslimit +
  8-byte memlimit (all zero without KDF) + key_id + Ed25519 secret (seed 32 + public 32) +
  checksum`` where checksum is BLAKE2b-256(``b"Ed" + key_id + secret``) (minisign itself leaves
  it zero when there is no password; we accept both). We keep the file mode 0600; the protection
  is the file's place on disk, as for ``age`` identities.
* A JSON-friendly export, for enrollment and backups: ``{"key_id": "<ID>", "secret_b64": base64
  of the 32-byte Ed25519 seed, "public": "RW..."}``; import checks that the three agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from desktop.core.durable import write_atomically
from desktop.core.i18n import _

ALG_LEGACY = b"Ed"
ALG_PREHASHED = b"ED"
KDF_NONE = b"\0\0"
KDF_SCRYPT = b"Sc"
CHECKSUM_ALG = b"B2"
KEY_ID_SIZE = 8
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
# minisign reads comment lines into fixed buffers (prefix and newline included).
COMMENT_MAX_BYTES = 1024
TRUSTED_COMMENT_MAX_BYTES = 8192
DEFAULT_SIGNATURE_COMMENT = "signature from minisign secret key"
SECRET_KEY_COMMENT = "minisign secret key (no password; keep this file private)"
HASH_CHUNK = 1 << 16
_SECRET_BLOB_SIZE = 2 + 2 + 2 + 32 + 8 + 8 + KEY_ID_SIZE + 64 + 32

DataOrPath = bytes | str | os.PathLike[str]


class MinisignError(Exception):
    """A key or signature is unusable; ``str(err)`` is a sentence for the user."""


class WrongKeyError(MinisignError):
    """The signature is well-formed but was made with a key other than the one we trust."""


class BadSignatureError(MinisignError):
    """The signature does not match the data or its trusted comment: something was altered."""


def _malformed_signature() -> MinisignError:
    return MinisignError(_("签名文件格式错误，无法读取（不是 minisign 签名）。"))


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("bad base64") from None


def _key_id_hex(key_id: bytes) -> str:
    # minisign prints the id with PRIX64: upper-case hex, no leading zeros.
    return f"{int.from_bytes(key_id, 'little'):X}"


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_comment(text: str, prefix: str, limit: int) -> None:
    if "\n" in text or "\r" in text:
        raise MinisignError(_("签名注释不能包含换行符。"))
    if len((prefix + text + "\n").encode()) >= limit:
        raise MinisignError(_("签名注释太长了。"))


@dataclass(frozen=True)
class PublicKey:
    """A minisign public key: the key id that names it and the Ed25519 key."""

    key_id: bytes
    raw: bytes

    @classmethod
    def from_string(cls, text: str) -> PublicKey:
        """Accept ``RW...`` or the whole text of a ``.pub`` file."""
        lines = [
            line.strip()
            for line in text.strip().splitlines()
            if line.strip() and not line.startswith(UNTRUSTED_PREFIX)
        ]
        try:
            if len(lines) != 1:
                raise ValueError("one key line expected")
            blob = _b64decode(lines[0])
        except ValueError:
            blob = b""
        if len(blob) != 2 + KEY_ID_SIZE + 32 or blob[:2] != ALG_LEGACY:
            raise MinisignError(_("不是有效的 minisign 公钥（应以 RW 开头）。"))
        return cls(blob[2 : 2 + KEY_ID_SIZE], blob[2 + KEY_ID_SIZE :])

    @property
    def key_id_hex(self) -> str:
        return _key_id_hex(self.key_id)

    def __str__(self) -> str:
        return base64.b64encode(ALG_LEGACY + self.key_id + self.raw).decode()

    def pub_file_text(self) -> str:
        return f"{UNTRUSTED_PREFIX}minisign public key {self.key_id_hex}\n{self}\n"


@dataclass(frozen=True)
class VerifiedSignature:
    """What a good signature vouches for: which key made it, and its signed comment."""

    key_id: str
    trusted_comment: str
    prehashed: bool


class SigningKey:
    """An Ed25519 secret key with its minisign key id."""

    def __init__(self, key_id: bytes, private_key: Ed25519PrivateKey) -> None:
        if len(key_id) != KEY_ID_SIZE:
            raise ValueError("key id must be 8 bytes")
        self.key_id = key_id
        self._private = private_key

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id_hex})"

    @property
    def key_id_hex(self) -> str:
        return _key_id_hex(self.key_id)

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key_id, _raw_public(self._private.public_key()))

    def _seed(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    # -- signing

    def sign(
        self,
        data: DataOrPath,
        trusted_comment: str | None = None,
        untrusted_comment: str = DEFAULT_SIGNATURE_COMMENT,
    ) -> str:
        """The ``.minisig`` text for bytes, or for a file given by path (hashed in a stream)."""
        if not isinstance(data, bytes):
            return self.sign_file(data, trusted_comment, untrusted_comment)
        if trusted_comment is None:
            trusted_comment = f"timestamp:{int(time.time())}\thashed"
        return self._signature_text(
            hashlib.blake2b(data).digest(), trusted_comment, untrusted_comment
        )

    def sign_file(
        self,
        path: str | os.PathLike[str],
        trusted_comment: str | None = None,
        untrusted_comment: str = DEFAULT_SIGNATURE_COMMENT,
    ) -> str:
        """Sign a file of any size, reading it in 64 KiB pieces."""
        if trusted_comment is None:
            name = Path(path).name
            trusted_comment = f"timestamp:{int(time.time())}\tfile:{name}\thashed"
        return self._signature_text(_hash_file(path), trusted_comment, untrusted_comment)

    def _signature_text(self, digest: bytes, trusted_comment: str, untrusted_comment: str) -> str:
        _check_comment(trusted_comment, TRUSTED_PREFIX, TRUSTED_COMMENT_MAX_BYTES)
        _check_comment(untrusted_comment, UNTRUSTED_PREFIX, COMMENT_MAX_BYTES)
        signature = self._private.sign(digest)
        global_signature = self._private.sign(signature + trusted_comment.encode())
        blob = base64.b64encode(ALG_PREHASHED + self.key_id + signature).decode()
        return (
            f"{UNTRUSTED_PREFIX}{untrusted_comment}\n{blob}\n"
            f"{TRUSTED_PREFIX}{trusted_comment}\n{base64.b64encode(global_signature).decode()}\n"
        )

    # -- storage

    def to_dict(self) -> dict[str, str]:
        return {
            "key_id": self.key_id_hex,
            "secret_b64": base64.b64encode(self._seed()).decode(),
            "public": str(self.public_key),
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> SigningKey:
        """Rebuild from :meth:`to_dict`; refuses a dict whose parts do not belong together."""
        try:
            seed = _b64decode(str(data["secret_b64"]))
            key = cls(
                PublicKey.from_string(str(data["public"])).key_id,
                Ed25519PrivateKey.from_private_bytes(seed),
            )
            consistent = str(key.public_key) == data["public"] and key.key_id_hex == data["key_id"]
        except (KeyError, ValueError, TypeError, MinisignError):
            consistent = False
        if not consistent:
            raise MinisignError(_("签名私钥数据不完整或已损坏。"))
        return key

    def secret_file_text(self) -> str:
        secret = self._seed() + self.public_key.raw
        checksum = hashlib.blake2b(ALG_LEGACY + self.key_id + secret, digest_size=32).digest()
        blob = ALG_LEGACY + KDF_NONE + CHECKSUM_ALG + bytes(48) + self.key_id + secret + checksum
        return f"{UNTRUSTED_PREFIX}{SECRET_KEY_COMMENT}\n{base64.b64encode(blob).decode()}\n"

    @classmethod
    def from_secret_file_text(cls, text: str) -> SigningKey:
        """Read our secret key file, or one made by ``minisign -G -W``."""
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            if len(lines) != 2 or not lines[0].startswith(UNTRUSTED_PREFIX):
                raise ValueError("two lines expected")
            blob = _b64decode(lines[1])
        except ValueError:
            blob = b""
        if len(blob) == _SECRET_BLOB_SIZE and blob[2:4] == KDF_SCRYPT:
            raise MinisignError(
                _("这把签名私钥设有密码，本程序只能读取无密码的私钥（minisign -G -W）。")
            )
        if (
            len(blob) != _SECRET_BLOB_SIZE
            or blob[:2] != ALG_LEGACY
            or blob[2:4] != KDF_NONE
            or blob[4:6] != CHECKSUM_ALG
        ):
            raise MinisignError(_("不是有效的 minisign 私钥文件。"))
        key_id, secret, checksum = blob[54:62], blob[62:126], blob[126:]
        expected = hashlib.blake2b(ALG_LEGACY + key_id + secret, digest_size=32).digest()
        key = cls(key_id, Ed25519PrivateKey.from_private_bytes(secret[:32]))
        if checksum not in (expected, bytes(32)) or key.public_key.raw != secret[32:]:
            raise MinisignError(_("签名私钥文件已损坏。"))
        return key

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the secret key file atomically, readable by its owner only (0600)."""
        write_atomically(Path(path), self.secret_file_text(), private=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        try:
            text = Path(path).read_text(encoding="ascii")
        except UnicodeDecodeError:
            raise MinisignError(_("不是有效的 minisign 私钥文件。")) from None
        return cls.from_secret_file_text(text)


def generate_keypair() -> SigningKey:
    """A fresh Ed25519 key with a random 8-byte key id."""
    return SigningKey(secrets.token_bytes(KEY_ID_SIZE), Ed25519PrivateKey.generate())


def _hash_file(path: str | os.PathLike[str]) -> bytes:
    digest = hashlib.blake2b()
    with open(path, "rb") as src:
        while piece := src.read(HASH_CHUNK):
            digest.update(piece)
    return digest.digest()


@dataclass(frozen=True)
class _ParsedSignature:
    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes


def _parse_signature(text: str | bytes) -> _ParsedSignature:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        lines = [line.rstrip("\r") for line in text.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        if len(lines) != 4 or not lines[0].startswith(UNTRUSTED_PREFIX):
            raise ValueError("four lines expected")
        if not lines[2].startswith(TRUSTED_PREFIX):
            raise ValueError("trusted comment expected")
        blob = _b64decode(lines[1])
        global_signature = _b64decode(lines[3])
    except (UnicodeDecodeError, ValueError):
        raise _malformed_signature() from None
    if (
        len(blob) != 2 + KEY_ID_SIZE + 64
        or blob[:2] not in (ALG_LEGACY, ALG_PREHASHED)
        or len(global_signature) != 64
    ):
        raise _malformed_signature()
    return _ParsedSignature(
        blob[:2], blob[2:10], blob[10:], lines[2][len(TRUSTED_PREFIX) :], global_signature
    )


def verify(
    data: DataOrPath, minisig_text: str | bytes, public_key: str | PublicKey
) -> VerifiedSignature:
    """Check a ``.minisig`` against bytes or a file (by path) and the key we trust.

    Prehashed (``ED``) signatures of files are checked in a stream; a legacy (``Ed``) signature
    needs the whole message, so a file is read into memory for it, as minisign itself does.
    """
    key = public_key if isinstance(public_key, PublicKey) else PublicKey.from_string(public_key)
    parsed = _parse_signature(minisig_text)
    if parsed.key_id != key.key_id:
        raise WrongKeyError(
            _("签名来自另一台设备或另一把钥匙（签名密钥 {found}，应为 {expected}）。").format(
                found=_key_id_hex(parsed.key_id), expected=key.key_id_hex
            )
        )
    prehashed = parsed.algorithm == ALG_PREHASHED
    if isinstance(data, bytes):
        message = hashlib.blake2b(data).digest() if prehashed else data
    else:
        message = _hash_file(data) if prehashed else Path(data).read_bytes()
    verifier = Ed25519PublicKey.from_public_bytes(key.raw)
    try:
        verifier.verify(parsed.signature, message)
    except InvalidSignature:
        raise BadSignatureError(_("签名与内容不符：文件已被修改或损坏。")) from None
    try:
        verifier.verify(parsed.global_signature, parsed.signature + parsed.trusted_comment.encode())
    except InvalidSignature:
        raise BadSignatureError(_("签名中的可信注释已被篡改。")) from None
    return VerifiedSignature(key.key_id_hex, parsed.trusted_comment, prehashed)
