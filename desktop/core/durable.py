"""Writing a small file so that a dead battery or a pulled stick leaves the old file or the new
one, never half of either: temp file beside it, fsync, rename, and the folder's entry synced.

One place for what key files, preferences, the first-run marker, relay state and backups all
need; bundles and photos stream through their own writers but sync their folders here too.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: Windows cannot open a folder, and its
    rename is durable enough)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(
    path: Path, content: str | bytes, *, private: bool = False, sync_folder: bool = False
) -> None:
    """Replace ``path`` with ``content`` (text as UTF-8) whole or not at all. ``private`` makes
    the file readable by its owner only, from its first byte on disk."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_dir(path.parent)
