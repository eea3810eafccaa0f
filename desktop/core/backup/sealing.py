"""Sealing a plain database's backup: the age v1 payload construction, keyed by a backup key.

A plain database has no data key, yet its backup goes onto USB sticks that get lost. Its payload
is sealed with a random 256-bit *backup key* kept in ``<database>.backup-key.json`` beside the
database (mode 0600), never in the backup and never on the stick: a lost stick leaks nothing,
while the laptop that made the backup (whose database is plain anyway) can restore it. Losing the
laptop loses that key; the county's copy (sync) is the way back then, as for the data itself.

The stream is age's STREAM (https://age-encryption.org/v1, "payload"): a 16-byte nonce, then
64 KiB chunks of ChaCha20-Poly1305 under HKDF-SHA256(key, nonce), each chunk's nonce an 11-byte
counter and a last-chunk flag, so a reordered, truncated or altered file fails to open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop.core.backup.errors import BackupError
from desktop.core.i18n import _

CHUNK = 64 * 1024
TAG = 16
NONCE = 16
INFO = b"doorstep-backup-payload"
KEY_FILE_SUFFIX = ".backup-key.json"
KEY_FORMAT = "doorstep-backup-key"

Progress = Callable[[int], None]


def key_id(key: bytes) -> str:
    """A public name for a key (which key a backup needs) that reveals nothing about it."""
    return hashlib.sha256(b"doorstep-key-id\x00" + key).hexdigest()[:16]


# ---------------------------------------------------------------------------- the backup key
def backup_key_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + KEY_FILE_SUFFIX)


def read_backup_key(db_path: Path) -> bytes | None:
    path = backup_key_path(db_path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        key = base64.b64decode(content["key"], validate=True)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(_("备份密钥文件 {path} 已损坏。").format(path=path)) from exc
    if content.get("format") != KEY_FORMAT or len(key) != 32:
        raise BackupError(_("备份密钥文件 {path} 已损坏。").format(path=path))
    return key


def backup_key(db_path: Path) -> bytes:
    """This database's backup key, made (mode 0600, atomically) on first use."""
    existing = read_backup_key(db_path)
    if existing is not None:
        return existing
    key = secrets.token_bytes(32)
    path = backup_key_path(db_path)
    content = {
        "format": KEY_FORMAT,
        "version": 1,
        "key": base64.b64encode(key).decode(),
        "key_id": key_id(key),
    }
    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return key


# ---------------------------------------------------------------------------- the stream
def _cipher(key: bytes, nonce: bytes) -> ChaCha20Poly1305:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=INFO).derive(key)
    return ChaCha20Poly1305(derived)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def seal(key: bytes, source: BinaryIO, target: BinaryIO, progress: Progress | None = None) -> str:
    """Encrypt ``source`` into ``target``; returns the sha256 of the plaintext."""
    nonce = secrets.token_bytes(NONCE)
    cipher = _cipher(key, nonce)
    target.write(nonce)
    digest = hashlib.sha256()
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        digest.update(chunk)
        target.write(cipher.encrypt(_chunk_nonce(counter, last), chunk, None))
        counter += 1
        if progress is not None:
            progress(len(chunk))
        if last:
            return digest.hexdigest()
        chunk = following


def unseal(
    key: bytes, source: BinaryIO, target: BinaryIO | None, progress: Progress | None = None
) -> str:
    """Decrypt and authenticate ``source`` (into ``target``, or only checking it when None);
    returns the sha256 of the plaintext. A wrong key, an altered or a cut-off stream raises."""
    nonce = source.read(NONCE)
    if len(nonce) != NONCE:
        raise BackupError(_("备份文件不完整。"))
    cipher = _cipher(key, nonce)
    digest = hashlib.sha256()
    counter = 0
    chunk = source.read(CHUNK + TAG)
    while True:
        following = source.read(CHUNK + TAG) if len(chunk) == CHUNK + TAG else b""
        last = not following
        try:
            plain = cipher.decrypt(_chunk_nonce(counter, last), chunk, None)
        except InvalidTag as exc:
            raise BackupError(
                _("备份文件无法解密：文件不完整、被改动，或不是用这台电脑的备份密钥加密的。")
            ) from exc
        digest.update(plain)
        if target is not None:
            target.write(plain)
        counter += 1
        if progress is not None:
            progress(len(chunk))
        if last:
            return digest.hexdigest()
        chunk = following
