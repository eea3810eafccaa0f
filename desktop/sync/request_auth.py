"""Signed HTTP requests: a laptop (or a township station) proves who asks for a down-bundle.

Down-bundles are encrypted to their device, but the request itself would still let anyone pull
another laptop's bundles, move its contact time and probe its cursor. So the requests that read a
device's data carry three headers:

* ``X-Doorstep-Id``: ``device:<id>`` or ``station:<id>``, whose enrolled key must have signed;
* ``X-Doorstep-Time``: Unix seconds; the server refuses a request more than five minutes away
  from its own clock (the client corrects its clock from the server's ``Date`` header first);
* ``X-Doorstep-Nonce``: random, so two identical requests in the same second differ;
* ``X-Doorstep-Signature``: base64 of a minisign signature over method, path, sorted query,
  the id, the time and the nonce, so nothing of the request can be changed on the way.

The server also remembers signatures it has seen within the window (in a folder its worker
processes share) and refuses a replay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path

from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import minisign

HEADER_ID = "X-Doorstep-Id"
HEADER_TIME = "X-Doorstep-Time"
HEADER_SIGNATURE = "X-Doorstep-Signature"
HEADER_NONCE = "X-Doorstep-Nonce"
MAX_SKEW = 300  # seconds
PREFIX = b"doorstep-request/1"


class RequestRefused(ServiceError):
    """An unsigned, stale, replayed or wrongly signed request; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def message(
    method: str,
    path: str,
    query: Mapping[str, object],
    principal: str,
    timestamp: str,
    nonce: str,
) -> bytes:
    """What is signed: every part of the request that decides what the server sends back."""
    pairs = "&".join(f"{k}={query[k]}" for k in sorted(query))
    parts = [method.upper(), path, pairs, principal, timestamp, nonce]
    return b"\n".join([PREFIX, *(part.encode() for part in parts)])


def sign_request(
    signing: minisign.SigningKey,
    principal: str,
    method: str,
    path: str,
    query: Mapping[str, object] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The headers that make one request; sign again for every attempt (replays are refused)."""
    stamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(12)
    text = signing.sign(
        message(method, path, query or {}, principal, stamp, nonce),
        trusted_comment=f"doorstep request {principal} {stamp}",
    )
    return {
        HEADER_ID: principal,
        HEADER_TIME: stamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: base64.b64encode(text.encode()).decode(),
    }


def server_clock_offset(date_header: str | None) -> float:
    """Seconds to add to our clock to get the server's, from an HTTP ``Date`` header."""
    if not date_header:
        return 0.0
    try:
        return parsedate_to_datetime(date_header).timestamp() - time.time()
    except (TypeError, ValueError):
        return 0.0


class ReplayGuard:
    """Signatures seen within the time window; a second use of one is a replay.

    With a ``folder`` every signature seen becomes an empty file there, created exclusively, so
    the server's worker processes (``serve --workers``) share one memory of what was used;
    files older than the window are swept now and then."""

    def __init__(self, folder: Path | None = None) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._folder = folder
        self._checks = 0

    def first_use(self, signature: str, now: float) -> bool:
        if self._folder is not None:
            return self._first_use_on_disk(signature, now)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {s: t for s, t in self._seen.items() if t > now - 2 * MAX_SKEW}
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True

    def _first_use_on_disk(self, signature: str, now: float) -> bool:
        assert self._folder is not None
        self._folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._checks += 1
            if self._checks % 500 == 1:
                self._sweep(now)
        name = hashlib.sha256(signature.encode()).hexdigest()[:40]
        try:
            os.close(os.open(self._folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def _sweep(self, now: float) -> None:
        assert self._folder is not None
        for entry in self._folder.iterdir():
            try:
                if entry.stat().st_mtime < now - 2 * MAX_SKEW:
                    entry.unlink()
            except OSError:
                continue


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    query: Mapping[str, object],
    key_for: Callable[[str], str | None],
    guard: ReplayGuard | None = None,
    now: float | None = None,
) -> str:
    """The principal (``device:<id>`` / ``station:<id>``) that signed this request.

    ``key_for(principal)`` gives its enrolled public key, or None when it is unknown or revoked
    (the caller decides which of those to say, by raising itself)."""
    principal = headers.get(HEADER_ID, "")
    stamp = headers.get(HEADER_TIME, "")
    encoded = headers.get(HEADER_SIGNATURE, "")
    nonce = headers.get(HEADER_NONCE, "")
    if not (principal and stamp and encoded and nonce):
        raise RequestRefused(_("请求没有签名：下载数据需要用本机的密钥签名（请升级入户通）。"))
    current = time.time() if now is None else now
    if not stamp.isdigit() or abs(int(stamp) - current) > MAX_SKEW:
        raise RequestRefused(
            _("请求的时间与县服务器相差超过 {minutes} 分钟，已拒绝；请检查电脑的时钟。").format(
                minutes=MAX_SKEW // 60
            )
        )
    key = key_for(principal)
    if key is None:
        raise RequestRefused(_("发出请求的设备没有在县里登记。"), 403)
    try:
        signature = base64.b64decode(encoded, validate=True)
        minisign.verify(message(method, path, query, principal, stamp, nonce), signature, key)
    except (binascii.Error, ValueError, minisign.MinisignError):
        raise RequestRefused(_("请求的签名无效，已拒绝。"), 403) from None
    if guard is not None and not guard.first_use(encoded, current):
        raise RequestRefused(_("这个请求已经用过一次（重放），已拒绝。"), 403)
    return principal


__all__ = [
    "HEADER_ID",
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIME",
    "ReplayGuard",
    "RequestRefused",
    "server_clock_offset",
    "sign_request",
    "verify_request",
]
