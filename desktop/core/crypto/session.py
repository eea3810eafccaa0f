"""Which open database holds which data key, found by the database's path.

Why a registry: the photo store, backups and sync name a database by its path
(``PhotoStore.for_database(db.path)``); once the cadre has unlocked the database, they find the
key here instead of every caller threading it through. The key leaves memory when the last
``Database`` on that file closes (the idle lock closes it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

_LOCK = threading.Lock()
_KEYS: dict[Path, tuple[bytes, int]] = {}


def _name(db_path: Path) -> Path:
    return Path(db_path).expanduser().resolve()


def remember(db_path: Path, data_key: bytes) -> None:
    """An open database's key; counted, so two handles on one file both have to close."""
    with _LOCK:
        name = _name(db_path)
        _key, count = _KEYS.get(name, (data_key, 0))
        _KEYS[name] = (data_key, count + 1)


def forget(db_path: Path) -> None:
    with _LOCK:
        name = _name(db_path)
        entry = _KEYS.get(name)
        if entry is None:
            return
        if entry[1] <= 1:
            del _KEYS[name]
        else:
            _KEYS[name] = (entry[0], entry[1] - 1)


def key_for(db_path: Path) -> bytes | None:
    """The data key of an open, unlocked database at ``db_path``, else None."""
    with _LOCK:
        entry = _KEYS.get(_name(db_path))
        return entry[0] if entry else None


# ---------------------------------------------------------------------------- asking for it
_SOURCE: list[Callable[[Path, str], str | None]] = []


def set_passphrase_source(source: Callable[[Path, str], str | None] | None) -> None:
    """Who to ask when ``open_database(path)`` meets an encrypted file without a passphrase:
    ``source(path, purpose)`` with purpose ``"unlock"`` (an encrypted file) or ``"create"`` (a new
    file: return a passphrase to encrypt it, None to leave it plain). The command line installs a
    terminal/environment source; None removes it."""
    _SOURCE.clear()
    if source is not None:
        _SOURCE.append(source)


def ask_passphrase(db_path: Path, purpose: str) -> str | None:
    return _SOURCE[0](db_path, purpose) if _SOURCE else None
