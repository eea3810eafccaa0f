"""The key file: the database's random data key, wrapped by the cadre's passphrase.

Why a wrapped key rather than keying SQLCipher with the passphrase itself: changing the passphrase
then rewrites one small file instead of the whole database, photos included, and every connection
opens with the raw key (no second key derivation per connection). The wrapping key comes from
Argon2id (RFC 9106's second recommended setting: 64 MiB, 3 passes, 4 lanes), so guessing
passphrases against a stolen key file costs memory and time for every guess.

The file (JSON, ``<database file>.cipher.json``)::

    {"format": "doorstep-keys", "version": 1,
     "kdf": {"name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4, "salt": "…"},
     "aead": "aes-256-gcm", "nonce": "…", "wrapped_key": "…"}

The header fields are the AEAD's associated data, so a file whose parameters were edited fails
exactly as a wrong passphrase does: nothing is decrypted and nothing is touched.
"""

from __future__ import annotations

import base64
import json
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from desktop.core.db import DatabaseError
from desktop.core.durable import write_atomically
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError

FORMAT = "doorstep-keys"
VERSION = 1
DATA_KEY_BYTES = 32
MIN_PASSPHRASE_CHARS = 6
KEY_FILE_SUFFIX = ".cipher.json"


class KeyFileError(DatabaseError, ServiceError):
    """The key file is missing, damaged or of an unknown kind."""


class DatabaseLocked(KeyFileError):
    """An encrypted database was opened without its passphrase."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not unwrap the data key; nothing was changed."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost; stored in the key file so a later version can raise it for new files."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def to_json(self, salt: bytes) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "salt": _b64(salt),
        }


DEFAULT_KDF = KdfParams()


def key_file_path(db_path: Path) -> Path:
    """Where a database's key file lives: beside it, named after it."""
    return db_path.with_name(db_path.name + KEY_FILE_SUFFIX)


def is_encrypted(db_path: Path) -> bool:
    """An encrypted database is one with a key file (SQLCipher's file has no readable header)."""
    return key_file_path(db_path).exists()


def normalise(passphrase: str) -> bytes:
    """The bytes a passphrase stands for: NFC, so the same Chinese text typed through different
    input methods (composed or decomposed forms) unlocks the same key."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to protect anything (the wizard calls this too)."""
    if len(unicodedata.normalize("NFC", passphrase).strip()) < MIN_PASSPHRASE_CHARS:
        raise KeyFileError(_("密码至少要有 {count} 个字符。").format(count=MIN_PASSPHRASE_CHARS))


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def wrap(data_key: bytes, passphrase: str, kdf: KdfParams = DEFAULT_KDF) -> dict[str, Any]:
    """The key file's content for ``data_key`` under ``passphrase`` (fresh salt and nonce)."""
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    kdf_json = kdf.to_json(salt)
    header = {"format": FORMAT, "version": VERSION, "kdf": kdf_json, "aead": "aes-256-gcm"}
    wrapping = _derive(passphrase, kdf_json)
    sealed = AESGCM(wrapping).encrypt(nonce, data_key, _associated(header))
    return {**header, "nonce": _b64(nonce), "wrapped_key": _b64(sealed)}


def unwrap(content: dict[str, Any], passphrase: str) -> bytes:
    """The data key, or ``WrongPassphrase``."""
    header = _header(content)
    try:
        nonce = base64.b64decode(content["nonce"], validate=True)
        sealed = base64.b64decode(content["wrapped_key"], validate=True)
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyFileError(_("密钥文件已损坏，无法读取。")) from exc
    wrapping = _derive(passphrase, header["kdf"])
    try:
        data_key = AESGCM(wrapping).decrypt(nonce, sealed, _associated(header))
    except InvalidTag as exc:
        raise WrongPassphrase(_("密码不对，数据库没有打开，也没有任何改动。")) from exc
    if len(data_key) != DATA_KEY_BYTES:
        raise KeyFileError(_("密钥文件已损坏，无法读取。"))
    return data_key


def read_key_file(db_path: Path) -> dict[str, Any]:
    path = key_file_path(db_path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KeyFileError(
            _("找不到数据库 {path} 的密钥文件 {key}。").format(path=db_path, key=path.name)
        ) from exc
    except (OSError, ValueError) as exc:
        raise KeyFileError(_("密钥文件 {key} 已损坏，无法读取。").format(key=path.name)) from exc
    if not isinstance(content, dict):
        raise KeyFileError(_("密钥文件 {key} 已损坏，无法读取。").format(key=path.name))
    return content


def write_key_file(db_path: Path, content: dict[str, Any]) -> Path:
    """Replace the key file atomically (temp file, fsync, rename): a crash leaves the old file or
    the new one, never half of either."""
    path = key_file_path(db_path)
    text = json.dumps(content, indent=2) + "\n"
    write_atomically(path, text, private=True, sync_folder=True)
    return path


def unlock(db_path: Path, passphrase: str) -> bytes:
    """The data key of the database at ``db_path``."""
    return unwrap(read_key_file(db_path), passphrase)


def rewrap(db_path: Path, old: str, new: str, kdf: KdfParams = DEFAULT_KDF) -> None:
    """Change the passphrase: the same data key under ``new``; only the key file changes."""
    check_new_passphrase(new)
    data_key = unlock(db_path, old)
    write_key_file(db_path, wrap(data_key, new, kdf))


# ---------------------------------------------------------------------------- details
def _header(content: dict[str, Any]) -> dict[str, Any]:
    if content.get("format") != FORMAT:
        raise KeyFileError(_("这不是入户通的密钥文件。"))
    if content.get("version") != VERSION or content.get("aead") != "aes-256-gcm":
        raise KeyFileError(_("密钥文件的版本太新，请升级入户通。"))
    kdf = content.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise KeyFileError(_("密钥文件的版本太新，请升级入户通。"))
    return {"format": FORMAT, "version": VERSION, "kdf": kdf, "aead": "aes-256-gcm"}


def _derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    try:
        salt = base64.b64decode(kdf["salt"], validate=True)
        memory, iterations, lanes = (
            int(kdf["memory_kib"]),
            int(kdf["iterations"]),
            int(kdf["lanes"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyFileError(_("密钥文件已损坏，无法读取。")) from exc
    if not (8 * lanes <= memory <= 4 * 1024 * 1024 and 1 <= iterations <= 64 and 1 <= lanes <= 64):
        # Bounds keep a tampered file from asking for terabytes of memory or hours of work.
        raise KeyFileError(_("密钥文件已损坏，无法读取。"))
    if len(salt) < 8:
        raise KeyFileError(_("密钥文件已损坏，无法读取。"))
    return Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory
    ).derive(normalise(passphrase))


def _associated(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
