"""Where this laptop (or the county) keeps photo files: the core's content-addressed store.

Bundles stream photos straight between a payload and ``<database stem>-photos/ab/abcd….jpg``;
this module only names the place, so sync and the core cannot disagree about it. The bytes go
through the store (``PhotoStore.for_database(path).open_file`` / ``.writer``): beside an encrypted
database the files are sealed, and only the store opens them.
"""

from __future__ import annotations

from pathlib import Path

from desktop.core.photos import PhotoStore, store_dir

__all__ = ["photo_path", "store_dir"]


def photo_path(db_path: Path, sha256: str) -> Path:
    return PhotoStore.for_database(db_path).path(sha256)
