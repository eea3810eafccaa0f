"""Online sync settings and results kept in the laptop's local ``setting`` table.

The county server's address belongs to the database (one laptop, one county), not to the user's
preferences file. The time of the last exchange the server acknowledged is written only after
``OnlineReport.synced`` — it is what the status line shows as "last synced", so it must never
record an attempt that failed half-way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.queries.status import pending_change_count
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync.client import SERVER_SETTING
from desktop.sync.exchange import get_setting, put_setting

SERVER_KEY = SERVER_SETTING  # {"url": str, "auto": bool}; `doorstep sync` reads it too
LAST_OK_KEY = "sync:online_last_ok"  # {"at": ISO time, "server": url}


@dataclass(frozen=True)
class OnlineSettings:
    server: str = ""
    auto: bool = True


@dataclass(frozen=True)
class OnlineFigures:
    """What the status line needs from the database, read on a background thread."""

    settings: OnlineSettings
    last_ok: str | None
    pending: int
    enrolled: bool


def load_settings(db: Database) -> OnlineSettings:
    with db.read() as conn:
        raw = get_setting(conn, SERVER_KEY, {})
    raw = raw if isinstance(raw, dict) else {}
    return OnlineSettings(str(raw.get("url") or ""), bool(raw.get("auto", True)))


def save_settings(db: Database, settings: OnlineSettings) -> OnlineSettings:
    """Keep the address (empty turns online sync off); a malformed one is refused unsaved."""
    cleaned = OnlineSettings(settings.server.strip().rstrip("/"), settings.auto)
    if cleaned.server and not re.fullmatch(r"https?://[^\s/]+(:\d+)?(/\S*)?", cleaned.server):
        raise ServiceError(
            _("服务器地址应以 http:// 或 https:// 开头：{url}").format(url=cleaned.server)
        )
    with db.write_connection() as conn:
        put_setting(conn, SERVER_KEY, {"url": cleaned.server, "auto": cleaned.auto})
    return cleaned


def record_success(db: Database, server: str) -> str:
    """Remember an exchange the server acknowledged; returns its time."""
    at = keyring.now_iso()
    with db.write_connection() as conn:
        put_setting(conn, LAST_OK_KEY, {"at": at, "server": server})
    return at


def load_figures(db: Database) -> OnlineFigures:
    with db.read() as conn:
        last = get_setting(conn, LAST_OK_KEY, {})
    last_ok = str(last.get("at")) if isinstance(last, dict) and last.get("at") else None
    return OnlineFigures(
        load_settings(db), last_ok, pending_change_count(db), keyring.certificate(db) is not None
    )
