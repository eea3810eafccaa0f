"""Sending a large bundle in pieces that survive a broken connection (the client side of
``county/server/uploads.py``).

Announce the file (name, size, SHA-256), send it chunk by chunk, and after any break ask the
server how much it holds and go on from there: a village connection that drops every few
minutes still gets a 200 MB bundle across, and never sends a byte twice more than it must.
Every request is signed by the sender's key (see :mod:`desktop.sync.request_auth`). A server
without resumable uploads (404 on the announcement) gets the plain upload instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from desktop.core.i18n import _
from desktop.sync.bundle import file_sha256

if TYPE_CHECKING:
    from desktop.sync.client import Connection

RESUMABLE_FROM = 8 << 20  # bundles this big or bigger go in pieces
CHUNK_SIZE = 4 << 20
MAX_BREAKS = 50  # breaks in a row without progress before we give up for this sync

Progress = Callable[[int, int], None]  # (bytes the server holds, total)


def upload_in_pieces(
    conn: Connection,
    path: Path,
    chunk_size: int = CHUNK_SIZE,
    on_bytes: Progress | None = None,
) -> httpx.Response | None:
    """Upload ``path`` resumably; the server's final answer (as ``POST /bundles`` gives it), or
    None when the server has no resumable uploads. Raises the connection's ServerUnreachable when
    the server stays away longer than its retries, or SyncCancelled."""
    from desktop.sync.client import OnlineSyncError, detail

    size = path.stat().st_size
    started = conn.request(
        "POST",
        "/uploads",
        json={"name": path.name, "size": size, "sha256": file_sha256(path)},
        signed=True,
    )
    if started.status_code in (404, 405):
        return None
    if started.status_code not in (200, 201):
        return started
    state: dict[str, Any] = started.json()
    upload = f"/uploads/{state['upload_id']}"
    offset = int(state["offset"])
    breaks = 0
    while True:
        while offset < size and not state.get("complete"):
            conn.check_cancel()
            try:
                answer = _send_piece(conn, path, upload, offset, chunk_size)
            except httpx.TransportError:
                breaks += 1
                if breaks > MAX_BREAKS:
                    raise OnlineSyncError(
                        _("连接一再中断，数据包 {name} 没能传完；下次同步会接着传。").format(
                            name=path.name
                        )
                    ) from None
                _pause(conn, breaks)
                answer = conn.request("GET", upload, signed=True)  # retries until it answers
            if answer.status_code == 409 and "offset" not in answer.json():
                _pause(conn, 1)  # another piece of this upload is still arriving
            elif answer.status_code in (200, 409):
                held = int(answer.json().get("offset", offset))
                breaks = 0 if held > offset else breaks
                offset = held
                state["complete"] = answer.json().get("complete", False)
                if on_bytes:
                    on_bytes(offset, size)
            elif answer.status_code >= 500:
                breaks += 1
                _pause(conn, breaks)
            else:
                return answer  # the upload is gone or not ours: the caller says why
        done = conn.request("POST", f"{upload}/complete", signed=True)
        if done.status_code != 409:
            return done
        # the server holds less than we thought (e.g. it lost unsynced bytes in a crash)
        answer = conn.request("GET", upload, signed=True)
        if answer.status_code != 200:
            raise OnlineSyncError(detail(answer))
        offset = int(answer.json()["offset"])
        state["complete"] = False


def _send_piece(
    conn: Connection, path: Path, upload: str, offset: int, chunk_size: int
) -> httpx.Response:
    with path.open("rb") as source:
        source.seek(offset)
        piece = source.read(chunk_size)
    params = {"offset": offset}
    return conn.client.put(
        upload,
        params=params,
        content=piece,
        headers=conn.sign("PUT", upload, params),
    )


def _pause(conn: Connection, breaks: int) -> None:
    delay = conn.backoff * 2 ** min(breaks - 1, 4)
    if conn.cancel is None:
        time.sleep(delay)
    elif conn.cancel.wait(delay):
        conn.check_cancel()


__all__ = ["CHUNK_SIZE", "RESUMABLE_FROM", "upload_in_pieces"]
