"""Online sync: the same bundles as a USB stick, carried over HTTP to the county server.

One sync: check the server is our county (its signing key is the one in our certificate), bundle
what changed and upload every unacknowledged bundle, then download the down-bundle since our
cursor and import it (which also tells us which of our bundles the county holds, so the outbox
is pruned). Connection failures are retried with exponential backoff; the report says "synced"
only when the server acknowledged every upload and the download was imported.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync.bundle import bundle_name
from desktop.sync.exchange import (
    CURSOR_KEY,
    ImportReport,
    export_bundles,
    get_setting,
    import_bundles,
    put_setting,
    work_dir,
)
from desktop.sync.request_auth import server_clock_offset, sign_request
from desktop.sync.resumable import CHUNK_SIZE, RESUMABLE_FROM, upload_in_pieces

Progress = Callable[[str, int, int], None]  # (step, done, total)
Signer = Callable[[str, str, dict[str, Any], float], dict[str, str]]  # method, path, query, now
#: steps: "upload"/"download" count bundles; "sending"/"receiving" count bytes of the current one
CHUNK = 64 * 1024
RETRY_STATUS = {502, 503, 504}
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class OnlineSyncError(ServiceError):
    """The server could not be used; nothing on this laptop was lost or changed."""


class ServerUnreachable(OnlineSyncError):
    """No answer from the server after the retries (network down, server off): try again later."""


class SyncCancelled(OnlineSyncError):
    """Stopped by the cadre (or the app quitting) between steps: what the county acknowledged
    stays acknowledged, everything else is sent again next time (uploads are idempotent)."""

    def __init__(self) -> None:
        super().__init__(_("同步已取消：本机数据都还在，下次同步会接着上报。"))


class _MeteredFile:
    """A bundle file as an upload body: counts bytes sent and stops when cancelled. It keeps
    ``fileno`` so httpx still sends a Content-Length (the server refuses oversize early)."""

    def __init__(self, handle: Any, on_bytes: Callable[[int, int], None] | None, conn: Connection):
        self.handle, self.on_bytes, self.conn = handle, on_bytes, conn
        self.total = Path(handle.name).stat().st_size
        self.sent = 0

    def fileno(self) -> int:
        return int(self.handle.fileno())

    def read(self, size: int = CHUNK) -> bytes:
        self.conn.check_cancel()
        chunk: bytes = self.handle.read(size)
        self.sent += len(chunk)
        if self.on_bytes:
            self.on_bytes(self.sent, self.total)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk


@dataclass
class Upload:
    name: str
    status: str  # applied | duplicate | held | refused
    message: str


@dataclass
class OnlineReport:
    server: str
    uploads: list[Upload] = field(default_factory=list)
    imported: ImportReport = field(default_factory=ImportReport)
    nothing_new: bool = False
    error: str | None = None
    unreachable: bool = False  # the error was "no answer", not a refusal
    cancelled: bool = False

    @property
    def synced(self) -> bool:
        """True only when the server acknowledged every upload and we imported what it sent."""
        return (
            self.error is None
            and all(u.status in ("applied", "duplicate") for u in self.uploads)
            and self.imported.ok
            and not self.imported.by_status("held")
        )

    def lines(self) -> list[str]:
        out = [u.message for u in self.uploads]
        out += [o.message for o in self.imported.outcomes]
        if self.nothing_new:
            out.append(_("县里没有新的数据。"))
        if self.error:
            out.append(self.error)
        out.append(
            _("已与县服务器同步完毕。")
            if self.synced
            else _("同步没有全部完成：上面列出了原因；本机数据都还在，稍后可以再同步。")
        )
        return out


@dataclass
class Connection:
    """An HTTP client that retries connection failures with exponential backoff."""

    server: str
    retries: int = 4
    backoff: float = 0.5
    cancel: threading.Event | None = None
    on_bytes: Callable[[int, int], None] | None = None  # (sent, total) of a file body
    on_bytes_in: Callable[[int, int], None] | None = None  # (received, total) of a download
    signer: Signer | None = None  # signs requests that read or upload this sender's data
    clock_offset: float = 0.0  # the server's clock minus ours, from its Date header
    resumable_from: int = RESUMABLE_FROM  # bundles this big go in resumable pieces
    chunk_size: int = CHUNK_SIZE  # of a resumable upload
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.server = self.server.rstrip("/")
        if not re.match(r"https?://", self.server):
            raise OnlineSyncError(
                _("服务器地址应以 http:// 或 https:// 开头：{url}").format(url=self.server)
            )
        self.client = httpx.Client(base_url=self.server, timeout=TIMEOUT)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise SyncCancelled()

    def sign(self, method: str, path: str, query: dict[str, Any] | None = None) -> dict[str, str]:
        """Fresh signature headers for one attempt (the server refuses a replayed one)."""
        if self.signer is None:
            return {}
        return self.signer(method, path, dict(query or {}), time.time() + self.clock_offset)

    def request(
        self,
        method: str,
        path: str,
        body_path: Path | None = None,
        into: Path | None = None,
        signed: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request; a file body is re-read from the start on every attempt; a 200 answer's
        body goes into the file ``into`` when given; ``signed`` signs every attempt afresh."""
        attempt = 0
        while True:
            attempt += 1
            self.check_cancel()
            if signed:
                kwargs["headers"] = self.sign(method, path, kwargs.get("params"))
            try:
                if body_path is not None:
                    with body_path.open("rb") as body:
                        metered = _MeteredFile(body, self.on_bytes, self)
                        response = self.client.request(method, path, content=metered, **kwargs)
                elif into is not None:
                    response = self._fetch(method, path, into, **kwargs)
                else:
                    response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise ServerUnreachable(
                        _("连不上县服务器 {url}（已重试 {n} 次）：{reason}").format(
                            url=self.server, n=self.retries, reason=type(exc).__name__
                        )
                    ) from None
            else:
                if response.status_code not in RETRY_STATUS or attempt > self.retries:
                    return response
            delay = self.backoff * 2 ** (attempt - 1)
            if self.cancel is None:
                time.sleep(delay)
            elif self.cancel.wait(delay):
                raise SyncCancelled()

    def _fetch(self, method: str, path: str, into: Path, **kwargs: Any) -> httpx.Response:
        """Stream a 200 body to a file, counting bytes and noticing cancel between chunks."""
        with self.client.stream(method, path, **kwargs) as response:
            if response.status_code != 200:
                response.read()
                return response
            total, got = int(response.headers.get("content-length") or 0), 0
            with into.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    self.check_cancel()
                    out.write(chunk)
                    got += len(chunk)
                    if self.on_bytes_in:
                        self.on_bytes_in(got, total)
        return response

    def close(self) -> None:
        self.client.close()


def detail(response: httpx.Response) -> str:
    """The server's reason (a Chinese sentence in ``detail``), or the bare status."""
    try:
        found = response.json().get("detail")
    except (ValueError, AttributeError):
        found = None
    if isinstance(found, str):
        return found
    return _("县服务器返回了错误（HTTP {status}）。").format(status=response.status_code)


def check_server(conn: Connection, cert: dict[str, Any]) -> None:
    response = conn.request("GET", "/health")
    if response.status_code != 200:
        raise OnlineSyncError(detail(response))
    conn.clock_offset = server_clock_offset(response.headers.get("date"))
    if response.json().get("signing_key") != cert["county_signing_key"]:
        raise OnlineSyncError(
            _("{url} 不是给本机签发证书的那个县的服务器，没有同步。").format(url=conn.server)
        )


# --------------------------------------------------------------------------------- sync
def sync_online(
    db: Database,
    server_url: str,
    progress: Progress | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    cancel: threading.Event | None = None,
) -> OnlineReport:
    """Upload the outbox, download and import what is new; see the module docstring.

    ``cancel`` (set from another thread) stops the sync before its next request or chunk; the
    import of a downloaded bundle is never interrupted (it is one transaction anyway)."""
    cert = keyring.require_certificate(db)
    report = OnlineReport(server_url)
    conn = Connection(server_url, retries, backoff, cancel)
    conn.signer = device_signer(keyring.device_keys(db, create=False))
    if progress:
        conn.on_bytes = lambda sent, total: progress("sending", sent, total)
        conn.on_bytes_in = lambda got, total: progress("receiving", got, total)
    try:
        check_server(conn, cert)
        files = export_bundles(db).unacknowledged
        for i, path in enumerate(files):
            if progress:
                progress("upload", i, len(files))
            report.uploads.append(_upload(conn, path))
        if progress:
            progress("upload", len(files), len(files))
            progress("download", 0, 1)
        _download(conn, db, report)
        if progress:
            progress("download", 1, 1)
    except OnlineSyncError as exc:
        report.error = str(exc)
        report.unreachable = isinstance(exc, ServerUnreachable)
        report.cancelled = isinstance(exc, SyncCancelled)
    finally:
        conn.close()
    return report


def device_signer(keys: keyring.DeviceKeys) -> Signer:
    """Signs requests as this laptop (``device:<id>``) with its enrolled key."""
    principal = f"device:{keys.device_id}"

    def sign(method: str, path: str, query: dict[str, Any], now: float) -> dict[str, str]:
        return sign_request(keys.signing, principal, method, path, query, now)

    return sign


def _upload(conn: Connection, path: Path) -> Upload:
    return upload_bundle(conn, path)


def upload_bundle(conn: Connection, path: Path) -> Upload:
    """One bundle to the county: in resumable pieces when it is large (and the connection can
    sign), else in one request; the county's answer as an :class:`Upload`."""
    response = None
    if conn.signer is not None and path.stat().st_size >= conn.resumable_from:
        response = upload_in_pieces(conn, path, conn.chunk_size, conn.on_bytes)
    if response is None:
        response = conn.request("POST", "/bundles", params={"name": path.name}, body_path=path)
    if response.status_code in (200, 202):
        body = response.json()
        return Upload(path.name, str(body["status"]), str(body["message"]))
    if 400 <= response.status_code < 500:
        return Upload(path.name, "refused", detail(response))
    raise OnlineSyncError(detail(response))


def _download(conn: Connection, db: Database, report: OnlineReport) -> None:
    with db.read() as c:
        cursor = int(get_setting(c, CURSOR_KEY, {}).get("server_seq", 0))
        acked = int(
            c.execute(
                text(
                    "SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE device_id = :d AND acked = 1"
                ),
                {"d": db.device_id},
            ).scalar_one()
        )
    folder = work_dir(db) / "download"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "download.part"
    try:
        response = conn.request(
            "GET",
            f"/devices/{db.device_id}/bundle",
            into=partial,
            params={"cursor": cursor, "acked": acked},
            signed=True,
        )
        if response.status_code == 204:
            report.nothing_new = True
            return
        if response.status_code != 200:
            raise OnlineSyncError(detail(response))
        conn.check_cancel()  # the last point to stop: the cursor has not moved
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    path = folder / _download_name(response)
    partial.replace(path)
    try:
        report.imported = import_bundles(db, [path])
    finally:
        path.unlink(missing_ok=True)


def _download_name(response: httpx.Response) -> str:
    found = re.search(
        r'filename="?([A-Za-z0-9_.-]+\.dsb)"?', response.headers.get("content-disposition", "")
    )
    return found.group(1) if found else bundle_name("county", 0)


# --------------------------------------------------------------------------------- settings
# the county server's address, kept in the laptop database's setting table (one laptop, one
# county): the app's sync window and first-run wizard write it, ``doorstep sync`` reads it
SERVER_SETTING = "sync:online_server"  # {"url": str, "auto": bool}


def saved_server(db: Database) -> str | None:
    """The server address the app saved for this laptop, or None."""
    with db.read() as conn:
        raw = get_setting(conn, SERVER_SETTING, {})
    url = str(raw.get("url") or "").strip() if isinstance(raw, dict) else ""
    return url or None


def remember_server(db: Database, url: str) -> None:
    """Save the address if none is saved yet (an address the cadre set in the app stays)."""
    if saved_server(db) is None:
        with db.write_connection() as conn:
            put_setting(conn, SERVER_SETTING, {"url": url.strip().rstrip("/"), "auto": True})


# --------------------------------------------------------------------------------- enroll
def enroll_online(db: Database, server_url: str, cadre: str, code: str) -> dict[str, Any]:
    """Ask the county server for a certificate and install it (for counties with a network).
    The enrollment code the county issued says which villages: the laptop names none."""
    request = keyring.enrollment_request(db, cadre)
    conn = Connection(server_url)
    try:
        response = conn.request(
            "POST", "/enroll", json={"request": request, "enroll_code": code.strip()}
        )
    finally:
        conn.close()
    if response.status_code != 200:
        raise OnlineSyncError(detail(response))
    return keyring.accept_certificate(db, response.json())


__all__ = [
    "OnlineReport",
    "OnlineSyncError",
    "ServerUnreachable",
    "SyncCancelled",
    "device_signer",
    "enroll_online",
    "remember_server",
    "saved_server",
    "sync_online",
    "upload_bundle",
]
