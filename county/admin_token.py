"""The county administrator's token: what the county IT officer presents to see and decide.

``doorstep-county init`` writes it to ``admin-token`` in the data folder (0600, like the county's
keys); ``doorstep-county admin-token --data DIR [--rotate]`` shows it or replaces it. The server
reads the file on every admin request, so a rotation takes effect at once in every worker
process, without a restart. Laptops never need it: their routes are authorised by their own keys
or by an enrollment code.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from desktop.sync import keys as keyring

ADMIN_TOKEN_FILE = "admin-token"


def token_path(root: Path) -> Path:
    return Path(root) / ADMIN_TOKEN_FILE


def read_admin_token(root: Path) -> str | None:
    """The current token, or None if the folder has none (or it cannot be read)."""
    try:
        token = token_path(root).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


def admin_token(root: Path, rotate: bool = False) -> str:
    """The folder's token, made if missing; ``rotate`` replaces it (the old one stops working)."""
    path = token_path(root)
    token = secrets.token_urlsafe(24)
    if rotate:
        keyring.write_private(path, token + "\n")  # atomic: never half a token
        return token
    current = read_admin_token(root)
    if current is not None:
        return current
    # made once even when several server processes start together: the first link wins
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    keyring.write_private(part, token + "\n")
    try:
        os.link(part, path)
    except FileExistsError:
        pass
    finally:
        part.unlink(missing_ok=True)
    return read_admin_token(root) or token


__all__ = ["ADMIN_TOKEN_FILE", "admin_token", "read_admin_token", "token_path"]
