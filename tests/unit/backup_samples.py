"""Small real databases for the backup tests: a demo county written through the services."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from desktop.core.crypto.keys import KdfParams, key_file_path
from desktop.core.database import Database, open_database
from desktop.core.demo import generate_demo

#: Argon2id at its cheapest: the tests prove the wiring, not the KDF's cost.
FAST_KDF = KdfParams(memory_kib=64, iterations=1, lanes=1)
PASSPHRASE = "山高水长路远"


def make_plain(path: Path, households: int = 12, seed: int = 3) -> Path:
    with open_database(path) as db:
        generate_demo(db, households, seed)
    return path


def make_encrypted(path: Path, households: int = 8, seed: int = 5) -> Path:
    with Database.open(path, passphrase=PASSPHRASE, kdf=FAST_KDF) as db:
        generate_demo(db, households, seed)
    return path


def copy_database(template: Path, target: Path) -> Path:
    shutil.copy(template, target)
    if key_file_path(template).exists():
        shutil.copy(key_file_path(template), key_file_path(target))
    return target


def household_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM household").fetchone()[0])
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_page(path: Path, page: int, page_size: int = 4096) -> None:
    """Overwrite one whole page with garbage, as a failing disk sector would."""
    with path.open("r+b") as handle:
        handle.seek(page_size * (page - 1))
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))
