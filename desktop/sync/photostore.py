"""Where this laptop (or the county) keeps photo files: named by their SHA-256, deduplicated.

The database holds only a photo's hash; the bytes live in ``<database stem>-photos/ab/abcd….jpg``
beside the database file, so a bundle can stream them in and out without touching SQLite.
"""

from __future__ import annotations

from pathlib import Path


def store_dir(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.stem}-photos")


def photo_path(db_path: Path, sha256: str) -> Path:
    return store_dir(db_path) / sha256[:2] / f"{sha256}.jpg"
