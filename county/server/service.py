"""What the server does, apart from HTTP: one county, one lock, the offline functions underneath.

Every write (applying a bundle, writing a down-bundle, resolving a conflict, enrolling) takes the
same lock: SQLite has one writer, and the checks before a bundle is applied (which bundle came
last from this device) must not interleave with another upload of the same bundle. The
database's own BEGIN IMMEDIATE transactions still make each step atomic on disk.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from county.data import County
from county.enrollment import enroll
from county.exchange import PEER_KEY, _relevant, apply_bundle, down_bundle, number_changes
from desktop.core.i18n import _
from desktop.sync import keys as keyring
from desktop.sync.bundle import SUFFIX, WrittenBundle
from desktop.sync.conflicts import ConflictView, list_conflicts, resolve_conflict
from desktop.sync.exchange import ImportReport, get_setting, put_setting

CONTACT_KEY = "county:contact:{device}"
ENROLL_CODE_FILE = "enroll-code"
DEFAULT_MAX_UPLOAD = 256 << 20  # a season of edits with photos fits; a runaway upload does not


class EnrollRefused(Exception):
    """The enrollment code was wrong: the request is not the county's to sign."""


@dataclass
class CountyService:
    county: County
    max_upload: int = DEFAULT_MAX_UPLOAD
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ enrollment
    def enroll_code(self) -> str:
        """A secret in the data folder that a laptop must present to enroll online; made once."""
        path = self.county.root / ENROLL_CODE_FILE
        if not path.is_file():
            keyring.write_private(path, secrets.token_urlsafe(18) + "\n")
        return path.read_text(encoding="utf-8").strip()

    def enroll(self, request: Any, villages: list[str], code: str) -> dict[str, Any]:
        if not secrets.compare_digest(code.encode(), self.enroll_code().encode()):
            raise EnrollRefused(_("登记口令不对，请向县里核实。"))
        with self.lock:
            cert = enroll(self.county, request, villages)
        self.touch(cert["device_id"])
        return cert

    # ------------------------------------------------------------------ uploads
    def clear_scratch(self) -> None:
        """Uploads and downloads a killed server left half-way: nothing in them was applied."""
        shutil.rmtree(self.county.work_dir / "server", ignore_errors=True)

    def scratch(self) -> Path:
        folder = self.county.work_dir / "server"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @contextmanager
    def upload_file(self, name: str) -> Iterator[Path]:
        """A private temporary path for an upload; removed afterwards (held copies survive)."""
        folder = self.scratch() / f"up-{uuid.uuid4().hex}"
        folder.mkdir()
        try:
            yield folder / name
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def apply(self, path: Path) -> ImportReport:
        with self.lock:
            report, device = apply_bundle(self.county, path)
        if device:
            self.touch(device)
        return report

    # ------------------------------------------------------------------ downloads
    def down(
        self, device: str, out_dir: Path, cursor: int, acked: int | None
    ) -> WrittenBundle | None:
        with self.lock:
            bundle = down_bundle(self.county, device, out_dir, cursor, acked)
        self.touch(device, cursor=cursor)
        return bundle

    # ------------------------------------------------------------------ conflicts
    def conflicts(self, include_resolved: bool = False) -> list[ConflictView]:
        with self.lock:  # listing scans for local conflicts first, which writes
            return list_conflicts(self.county.db, include_resolved=include_resolved)

    def resolve(self, conflict: str, value: Any, cadre: str) -> str:
        with self.lock:
            change = resolve_conflict(self.county.db, conflict, value, cadre=cadre)
            with self.county.db.write_connection() as conn:
                number_changes(conn)
        return change

    # ------------------------------------------------------------------ status
    def touch(self, device: str, cursor: int | None = None) -> None:
        key = CONTACT_KEY.format(device=device)
        with self.county.db.write_connection() as conn:
            contact = get_setting(conn, key, {"cursor": 0})
            contact["at"] = keyring.now_iso()
            if cursor is not None:
                contact["cursor"] = max(int(contact.get("cursor", 0)), cursor)
            put_setting(conn, key, contact)

    def top(self) -> int:
        with self.county.db.read() as conn:
            return int(
                conn.execute(
                    text("SELECT COALESCE(MAX(server_seq), 0) FROM change_log")
                ).scalar_one()
            )

    def devices(self) -> list[dict[str, Any]]:
        revoked = self.county.revoked()
        top = self.top()
        rows = []
        with self.county.db.read() as conn:
            for cert in self.county.devices():
                device = cert["device_id"]
                contact = get_setting(conn, CONTACT_KEY.format(device=device), {})
                peer = get_setting(conn, PEER_KEY.format(device=device), {})
                cursor = max(int(contact.get("cursor", 0)), int(peer.get("cursor", 0)))
                where, params = _relevant(cert, cursor, top)
                pending = conn.execute(
                    text(f"SELECT count(*) FROM change_log c {where}"), params
                ).scalar_one()
                rows.append(
                    {
                        "device_id": device,
                        "cadre": cert.get("cadre", ""),
                        "villages": list(cert.get("villages", [])),
                        "revoked": device in revoked,
                        "last_contact": contact.get("at"),
                        "cursor": cursor,
                        "pending": int(pending),
                        "held": len(list(self.county.held_dir(device).glob(f"*{SUFFIX}"))),
                        "bundles_applied": int(peer.get("bundle_seq", 0)),
                    }
                )
        return rows

    def households_by_village(self) -> list[dict[str, Any]]:
        """Counts per village and status, for the county view."""
        with self.county.db.read() as conn:
            rows = conn.execute(
                text(
                    "SELECT h.village_code, COALESCE(r.name, ''), h.status, count(*) "
                    "FROM household h LEFT JOIN region r ON r.code = h.village_code "
                    "AND r.voided = 0 WHERE h.voided = 0 "
                    "GROUP BY h.village_code, r.name, h.status ORDER BY h.village_code, h.status"
                )
            ).all()
        villages: dict[str, dict[str, Any]] = {}
        for code, name, status, count in rows:
            entry = villages.setdefault(code, {"code": code, "name": name, "statuses": {}})
            entry["statuses"][status or ""] = int(count)
        return list(villages.values())
