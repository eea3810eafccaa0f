"""The GUI's one doorway to the encrypted database (``desktop.core.crypto``).

Every window that asks for the cadre's passphrase goes through these few functions, so the
passphrase is handed to the crypto layer and to nothing else. Each runs the slow key derivation
(Argon2id), so callers run them off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from desktop.core.crypto import keys
from desktop.core.database import Database, open_database


def is_encrypted(path: Path) -> bool:
    return keys.is_encrypted(path)


def open_with_passphrase(path: Path, passphrase: str, create: bool = False) -> Database:
    """Open (or create) the database keyed from ``passphrase``; a wrong one raises
    ``WrongPassphrase`` (a sentence for the cadre) and touches nothing."""
    return open_database(path, create=create, passphrase=passphrase)


def check_passphrase(path: Path, passphrase: str) -> None:
    """Raises ``WrongPassphrase`` unless ``passphrase`` unwraps this database's key."""
    keys.unlock(path, passphrase)


def change_passphrase(path: Path, old: str, new: str) -> None:
    """Re-wrap the data key under ``new``: only the small key file changes, never the data."""
    keys.rewrap(path, old, new)
