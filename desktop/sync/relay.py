"""The township relay: carry a USB stick's bundles to the county and the county's back onto it.

``relay_stick`` does one visit of a stick:

1. learn who may send: with the county server reachable, fetch the device list (county-signed
   certificates and revocations) and keep it; offline, use the kept one;
2. take the laptops' bundles off ``Doorstep/outbox/``: each must carry a detached signature
   (``.dsb.minisig``) made by its sender's enrolled, unrevoked key. A copy goes into the
   station's queue (temp → fsync → rename → read back and hash) and is checked there, so what is
   forwarded is exactly what was checked; only then is it removed from the stick. Unsigned,
   wrongly signed or unknown senders' files stay on the stick, with the reason in the report;
3. forward the queue to the county in order (large bundles resumably). When the server cannot be
   reached the bundles stay queued and go with the next online run (store and forward);
4. fetch the newest down-bundle for every laptop this station has seen, checking the county's
   signature over each file, and keep it;
5. write the kept down-bundles onto the stick for the laptops that use it
   (``Doorstep/inbox/<device>/``), with the stick's safe-write rules, and only then say the stick
   can be removed.

The station never holds a key that opens a bundle: it checks who signed, not what is inside.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.durable import fsync_dir
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import detached, minisign
from desktop.sync.bundle import SUFFIX, copy_verified, file_sha256
from desktop.sync.client import Connection, OnlineSyncError, detail, upload_bundle
from desktop.sync.request_auth import server_clock_offset, sign_request
from desktop.sync.station import Directory, Station, StationError
from desktop.sync.usb import stick_paths

Progress = Callable[[int, int, str], None]  # (done, total, what is happening)
BUNDLE_SIGNATURE_HEADER = "X-Doorstep-Bundle-Signature"
RETRIES, BACKOFF = 2, 0.3  # an unreachable server should not keep a township cadre waiting
DOWN_NAME = re.compile(r"county-\d{6,}" + re.escape(SUFFIX))
DEVICE_FOLDER = re.compile(r"[0-9a-fA-F-]{8,64}")
SEEN_FILE = "seen.json"


class RelayError(ServiceError):
    """The stick or the station cannot be used; nothing on the stick was changed."""


@dataclass
class RelayItem:
    name: str
    device: str
    message: str


@dataclass
class RelayReport:
    forwarded: list[RelayItem] = field(default_factory=list)
    stored: list[RelayItem] = field(default_factory=list)  # kept here, forwarded when online
    written: list[RelayItem] = field(default_factory=list)  # down-bundles put on the stick
    refused: list[RelayItem] = field(default_factory=list)  # with the reason
    online: bool = False
    offline_reason: str | None = None
    safe_to_remove: bool = False

    def summary(self) -> str:
        """The visit in sentences, for the command line and the township window."""
        lines: list[str] = []
        if self.online:
            lines.append(_("已连上县服务器。"))
        elif self.offline_reason:
            lines.append(_("没有连上县服务器：{reason}").format(reason=self.offline_reason))
        if self.forwarded:
            lines.append(_("已转交县里 {count} 个数据包：").format(count=len(self.forwarded)))
            lines += [f"  {item.message}" for item in self.forwarded]
        if self.stored:
            lines.append(
                _("{count} 个数据包暂存在本站，下次连上县服务器时自动转交。").format(
                    count=len(self.stored)
                )
            )
        if self.written:
            lines.append(
                _("已把 {count} 个县里发给笔记本的数据包写入 U 盘，已读回核对无误。").format(
                    count=len(self.written)
                )
            )
        if self.refused:
            lines.append(_("{count} 个文件没有收下：").format(count=len(self.refused)))
            lines += [f"  {item.name}：{item.message}" for item in self.refused]
        if not (self.forwarded or self.stored or self.written or self.refused):
            lines.append(_("U 盘上没有需要中转的数据包。"))
        if self.safe_to_remove:
            lines.append(_("中转完成，现在可以拔出 U 盘。"))
        return "\n".join(lines)


# --------------------------------------------------------------------------------- enrollment
def enroll_station(state_dir: Path, server: str, name: str, code: str) -> dict[str, Any]:
    """Enroll this township office as a relay station with the county server, with the code the
    county issued for it (the code names the villages it serves); installs and returns the
    county's certificate."""
    station = Station(Path(state_dir))
    request = station.request(name)
    conn = Connection(server, RETRIES, BACKOFF)
    try:
        response = conn.request(
            "POST",
            "/stations/enroll",
            json={"request": request, "enroll_code": code.strip()},
        )
    finally:
        conn.close()
    if response.status_code != 200:
        raise RelayError(detail(response))
    cert = station.accept(response.json(), conn.server)
    # the device list now, while online: the first stick may well come on an offline day
    conn = _station_connection(station, server)
    try:
        listed = conn.request("GET", "/stations/devices", signed=True)
        if listed.status_code == 200:
            station.save_directory(listed.json(), str(cert["county_signing_key"]))
    except (OnlineSyncError, StationError):
        pass  # the first online visit fetches it
    finally:
        conn.close()
    return cert


# --------------------------------------------------------------------------------- relay
def relay_stick(
    stick: Path,
    server: str | None,
    state_dir: Path,
    progress: Progress | None = None,
) -> RelayReport:
    """One visit of a stick; see the module docstring. ``server`` None means the server the
    station was enrolled with."""
    stick = Path(stick)
    if not stick.is_dir():
        raise RelayError(_("找不到 U 盘或文件夹 {path}。").format(path=stick))
    station = Station(Path(state_dir))
    cert = station.require_certificate()
    county_key = str(cert["county_signing_key"])
    report = RelayReport()
    visit = _Visit(station, stick, report, progress)
    conn = _connect(station, server or cert.get("server"), county_key, report)
    try:
        directory = visit.directory(conn, county_key)
        senders = visit.intake(directory)
        visit.forward(conn)
        devices = visit.devices_on_stick() | senders
        visit.remember(devices & set(directory.certificates) if directory else set())
        if conn is not None and report.online:
            visit.fetch(conn, county_key, directory)
        visit.write_down(devices, county_key)
    finally:
        if conn is not None:
            conn.close()
    report.stored = [
        RelayItem(p.name, detached.device_of(p.name) or "", _("暂存在本站"))
        for p in sorted(station.queue.glob(f"*{SUFFIX}"))
    ]
    report.safe_to_remove = True
    return report


def _station_connection(station: Station, server: str) -> Connection:
    """A connection whose requests are signed as this station."""
    station_id, signing = station.keys()
    conn = Connection(server, RETRIES, BACKOFF)
    principal = f"station:{station_id}"

    def sign(method: str, path: str, query: dict[str, Any], now: float) -> dict[str, str]:
        return sign_request(signing, principal, method, path, query, now)

    conn.signer = sign
    return conn


def _connect(
    station: Station, server: str | None, county_key: str, report: RelayReport
) -> Connection | None:
    if not server:
        report.offline_reason = _("没有指定县服务器地址。")
        return None
    conn = _station_connection(station, server)
    try:
        health = conn.request("GET", "/health")
        if health.status_code != 200:
            raise OnlineSyncError(detail(health))
        if health.json().get("signing_key") != county_key:
            raise OnlineSyncError(
                _("{url} 不是给本站签发证书的那个县的服务器。").format(url=conn.server)
            )
        conn.clock_offset = server_clock_offset(health.headers.get("date"))
        report.online = True
    except OnlineSyncError as exc:
        report.offline_reason = str(exc)
    return conn


@dataclass
class _Visit:
    station: Station
    stick: Path
    report: RelayReport
    progress: Progress | None
    done: int = 0
    total: int = 0

    def tell(self, what: str, more: int = 0) -> None:
        self.total += more
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done), what)

    def step(self, what: str) -> None:
        self.done += 1
        self.tell(what)

    # ---------------------------------------------------------------- who may send
    def directory(self, conn: Connection | None, county_key: str) -> Directory | None:
        if conn is not None and self.report.online:
            try:
                response = conn.request("GET", "/stations/devices", signed=True)
                if response.status_code != 200:
                    raise OnlineSyncError(detail(response))
                return self.station.save_directory(response.json(), county_key)
            except (OnlineSyncError, StationError) as exc:
                self.report.online = False
                self.report.offline_reason = str(exc)
        return self.station.directory(county_key)

    # ---------------------------------------------------------------- stick → queue
    def intake(self, directory: Directory | None) -> set[str]:
        outbox = self.stick / "Doorstep" / "outbox"
        files = sorted(p for p in outbox.glob(f"*{SUFFIX}") if p.is_file())
        self.tell(_("检查 U 盘上的数据包"), len(files))
        senders: set[str] = set()
        for path in files:
            device = detached.device_of(path.name)
            try:
                self._take(path, device, directory)
                if device:
                    senders.add(device)
            except (ServiceError, OSError) as exc:
                message = str(exc) if isinstance(exc, ServiceError) else _disk_error(exc)
                self.report.refused.append(RelayItem(path.name, device or "", message))
            self.step(path.name)
        return senders

    def _take(self, path: Path, device: str | None, directory: Directory | None) -> None:
        if device is None:
            raise RelayError(_("文件名不是入户通笔记本的数据包，没有收下。"))
        if directory is None:
            raise RelayError(
                _("本站还没有县里的设备名单（需要先联网中转一次），无法核对签名，没有收下。")
            )
        cert = directory.certificates.get(device)
        if device in directory.revoked:
            raise RelayError(_("发送这个数据包的设备已被县里吊销，没有收下。"))
        if cert is None:
            raise RelayError(_("发送这个数据包的设备没有在本站服务的村登记，没有收下。"))
        if not detached.signature_path(path).is_file():  # refused: it says the file is unsigned
            detached.verify_file(path, str(cert["signing_key"]), device)
        incoming = self.station.queue / ".incoming"
        staged = incoming / path.name
        target = self.station.queue / path.name
        try:
            copy_verified(detached.signature_path(path), detached.signature_path(staged))
            copy_verified(path, staged)
            detached.verify_file(staged, str(cert["signing_key"]), device)  # what we forward
            detached.signature_path(staged).replace(detached.signature_path(target))
            staged.replace(target)
            fsync_dir(self.station.queue)
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        if file_sha256(target) != file_sha256(path):
            raise RelayError(_("U 盘上的数据包在核对时被改动，没有收下。"))
        try:  # the verified copy is queued; a stick that cannot be written keeps its copy
            path.unlink()
            detached.signature_path(path).unlink(missing_ok=True)
            fsync_dir(path.parent)
        except OSError:
            pass

    # ---------------------------------------------------------------- queue → county
    def forward(self, conn: Connection | None) -> None:
        queued = sorted(self.station.queue.glob(f"*{SUFFIX}"))
        if conn is None or not self.report.online:
            return
        self.tell(_("转交县里"), len(queued))
        for path in queued:
            device = detached.device_of(path.name) or ""
            try:
                result = upload_bundle(conn, path)
            except OnlineSyncError as exc:
                self.report.online = False
                self.report.offline_reason = str(exc)
                return
            if result.status == "refused":
                self._set_aside(path, result.message)
                self.report.refused.append(RelayItem(path.name, device, result.message))
            else:
                path.unlink(missing_ok=True)
                detached.signature_path(path).unlink(missing_ok=True)
                self.report.forwarded.append(RelayItem(path.name, device, result.message))
            self.step(path.name)

    def _set_aside(self, path: Path, reason: str) -> None:
        self.station.refused.mkdir(parents=True, exist_ok=True)
        target = self.station.refused / path.name
        path.replace(target)
        signature = detached.signature_path(path)
        if signature.exists():
            signature.replace(detached.signature_path(target))
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    # ---------------------------------------------------------------- county → station
    def devices_on_stick(self) -> set[str]:
        inbox = self.stick / "Doorstep" / "inbox"
        if not inbox.is_dir():
            return set()
        return {p.name for p in inbox.iterdir() if p.is_dir() and DEVICE_FOLDER.fullmatch(p.name)}

    def remember(self, devices: set[str]) -> None:
        path = self.station.root / SEEN_FILE
        seen = set(json.loads(path.read_text("utf-8"))) if path.is_file() else set()
        if not devices <= seen:
            tmp = path.with_name(f".{SEEN_FILE}.part")
            tmp.write_text(json.dumps(sorted(seen | devices)), encoding="utf-8")
            tmp.replace(path)

    def seen(self) -> set[str]:
        path = self.station.root / SEEN_FILE
        return set(json.loads(path.read_text("utf-8"))) if path.is_file() else set()

    def fetch(self, conn: Connection, county_key: str, directory: Directory | None) -> None:
        if directory is None:
            return
        devices = sorted(self.seen() & set(directory.certificates) - directory.revoked)
        self.tell(_("从县里取回数据包"), len(devices))
        for device in devices:
            try:
                self._fetch_one(conn, device, county_key)
            except OnlineSyncError as exc:
                self.report.online = False
                self.report.offline_reason = str(exc)
                return
            self.step(device)

    def _fetch_one(self, conn: Connection, device: str, county_key: str) -> None:
        folder = self.station.down(device)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / ".download.part"
        try:
            response = conn.request(
                "GET", f"/stations/devices/{device}/bundle", into=partial, signed=True
            )
            if response.status_code == 204:
                return
            if response.status_code != 200:
                raise OnlineSyncError(detail(response))
            name = _download_name(response.headers.get("content-disposition", ""))
            signature = _header_signature(response.headers.get(BUNDLE_SIGNATURE_HEADER, ""))
            _check_down(partial, signature, name, device, county_key)
            for old in folder.glob(f"*{SUFFIX}*"):
                old.unlink()  # the newest covers everything since the laptop's cursor
            target = folder / name
            detached.signature_path(target).write_text(signature, encoding="ascii")
            partial.replace(target)
            fsync_dir(folder)
        finally:
            partial.unlink(missing_ok=True)

    # ---------------------------------------------------------------- station → stick
    def write_down(self, devices: set[str], county_key: str) -> None:
        work = [
            (device, path)
            for device in sorted(devices)
            for path in sorted(self.station.down(device).glob(f"*{SUFFIX}"))
        ]
        self.tell(_("写入 U 盘"), len(work))
        for device, path in work:
            _outbox, inbox = stick_paths(self.stick, device)
            target = inbox / path.name
            signature = detached.signature_path(path)
            try:
                _check_down(path, signature.read_text("ascii"), path.name, device, county_key)
            except (OSError, RelayError) as exc:
                path.unlink(missing_ok=True)
                signature.unlink(missing_ok=True)
                self.report.refused.append(RelayItem(path.name, device, str(exc)))
                continue
            if not (target.is_file() and file_sha256(target) == file_sha256(path)):
                copy_verified(path, target)  # temp, fsync, rename, read back and compare
                self.report.written.append(
                    RelayItem(path.name, device, _("已写入 U 盘，等笔记本导入"))
                )
            self.step(path.name)


def _download_name(disposition: str) -> str:
    found = re.search(r'filename="?([A-Za-z0-9_.-]+\.dsb)"?', disposition)
    if not found or not DOWN_NAME.fullmatch(found.group(1)):
        raise OnlineSyncError(_("县服务器发来的数据包名称不对，没有采用。"))
    return found.group(1)


def _header_signature(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return ""


def _check_down(path: Path, signature: str, name: str, device: str, county_key: str) -> None:
    """A down-bundle must carry the county's signature over this very file, for this laptop."""
    try:
        checked = minisign.verify(path, signature, county_key)
    except minisign.MinisignError as exc:
        raise RelayError(
            _("县里发来的数据包 {name} 签名不对（{reason}），没有采用。").format(
                name=name, reason=exc
            )
        ) from None
    if checked.trusted_comment != f"doorstep bundle file:{name} to:{device}":
        raise RelayError(
            _("县里发来的数据包 {name} 的签名属于另一个文件，没有采用。").format(name=name)
        )


def _disk_error(exc: OSError) -> str:
    return _("读写 U 盘或本站文件夹出错（{error}），这个数据包留在 U 盘上。").format(
        error=exc.strerror or exc
    )


__all__ = ["RelayError", "RelayItem", "RelayReport", "enroll_station", "relay_stick"]
