"""What the server does, apart from HTTP: the county store and the offline functions underneath.

There is no process-wide lock: every write is one database transaction whose safety comes from
the database (a device's row lock orders that device's bundles, unique constraints make replays
no-ops, the numbering step is serialized by the counter row), so several server processes may
share one PostgreSQL database. The functions the HTTP layer (and the resumable-upload router)
call are :meth:`CountyService.apply` (a bundle file, as received) and :meth:`CountyService.down`
(the down-bundle for a device since its cursor).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import case, false, func, select, update

from county.data import County
from county.enroll_codes import enroll_device
from county.exchange import apply_bundle, down_bundle
from county.store import schema
from county.store.accept import current_top, field_values
from county.store.down import count_for
from desktop.core.codec import encode
from desktop.sync import keys as keyring
from desktop.sync.bundle import SUFFIX, WrittenBundle
from desktop.sync.conflicts import ConflictView, resolve_conflict
from desktop.sync.exchange import ImportReport
from desktop.sync.values import field_value

DEFAULT_MAX_UPLOAD = 256 << 20  # a season of edits with photos fits; a runaway upload does not


@dataclass
class CountyService:
    county: County
    max_upload: int = DEFAULT_MAX_UPLOAD
    # for in-process steps that are not database writes (e.g. a station's files); database
    # writes never need it
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ enrollment
    def enroll(self, request: Any, code: str, villages: list[str] | None = None) -> dict[str, Any]:
        """A laptop's online enrollment with a code the county issued (the code names its
        villages; see :mod:`county.enroll_codes`)."""
        cert = enroll_device(self.county, request, code, villages)
        self.touch(cert["device_id"])
        return cert

    # ------------------------------------------------------------------ uploads
    def clear_scratch(self) -> None:
        """Uploads and downloads a killed server process left half-way (nothing in them was
        applied); those of live sibling processes (``serve --workers``) are left alone."""
        folder = self.county.work_dir / "server"
        if not folder.is_dir():
            return
        for entry in folder.iterdir():
            owner = entry.name.split("-")[1] if entry.name.count("-") >= 2 else ""
            if not (owner.isdigit() and _alive(int(owner))):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    def scratch(self) -> Path:
        folder = self.county.work_dir / "server"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @contextmanager
    def upload_file(self, name: str) -> Iterator[Path]:
        """A private temporary path for an upload; removed afterwards (held copies survive)."""
        folder = self.scratch() / f"up-{os.getpid()}-{uuid.uuid4().hex}"
        folder.mkdir()
        try:
            yield folder / name
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def apply(self, path: Path) -> ImportReport:
        """Apply one received bundle file (and any held ones it unblocks)."""
        report, device = apply_bundle(self.county, path)
        if device and report.outcomes[0].status != "applied":  # applying records the contact
            self.touch(device)
        return report

    # ------------------------------------------------------------------ downloads
    def down(
        self, device: str, out_dir: Path, cursor: int, acked: int | None
    ) -> WrittenBundle | None:
        """The device's down-bundle since ``cursor`` in ``out_dir``; None if nothing is new."""
        bundle = down_bundle(self.county, device, out_dir, cursor, acked)
        self.touch(device, cursor=cursor)
        return bundle

    # ------------------------------------------------------------------ conflicts
    def conflicts(self, include_resolved: bool = False) -> list[ConflictView]:
        k = schema.conflict.c
        query = select(schema.conflict)
        if not include_resolved:
            query = query.where(k.resolved_by_change.is_(None))
        with self.county.store.read() as conn:
            rows = conn.execute(query.order_by(k.winner_hlc.desc(), k.id)).mappings().all()
            current = {
                r["id"]: field_values(conn, r["tbl"], [r["row_id"]], [r["field"]])
                .get(r["row_id"], {})
                .get(r["field"])
                for r in rows
            }
        return [
            ConflictView(
                id=r["id"],
                table=r["tbl"],
                row_id=r["row_id"],
                household_id=r["household_id"],
                field=r["field"],
                winner_value=_decoded(r["tbl"], r["field"], r["winner_value"]),
                winner_device=r["winner_device"],
                winner_cadre=r["winner_cadre"] or "",
                winner_hlc=r["winner_hlc"],
                loser_value=_decoded(r["tbl"], r["field"], r["loser_value"]),
                loser_device=r["loser_device"],
                loser_cadre=r["loser_cadre"] or "",
                loser_hlc=r["loser_hlc"],
                current_value=_decoded(r["tbl"], r["field"], encode(current[r["id"]])),
                resolved_by_change=r["resolved_by_change"],
            )
            for r in rows
        ]

    def resolve(self, conflict: str, value: Any, cadre: str) -> str:
        """Decide a conflict: a 'resolve' change written (and validated) as a laptop would, in
        the county's own database, then taken into the store and sent to the laptops."""
        with self.county.authoring() as db:
            return resolve_conflict(db, conflict, value, cadre=cadre)

    # ------------------------------------------------------------------ status
    def touch(self, device: str, cursor: int | None = None) -> None:
        d = schema.device.c
        values: dict[str, Any] = {"last_contact": keyring.now_iso()}
        if cursor is not None:
            values["cursor"] = case((d.cursor < cursor, cursor), else_=d.cursor)
        with self.county.store.begin() as conn:
            conn.execute(update(schema.device).where(d.device_id == device).values(values))

    def top(self) -> int:
        with self.county.store.read() as conn:
            return current_top(conn)

    def devices(self) -> list[dict[str, Any]]:
        with self.county.store.read() as conn:
            states = (
                conn.execute(select(schema.device).order_by(schema.device.c.device_id))
                .mappings()
                .all()
            )
            top = current_top(conn)
            rows = []
            for state in states:
                cert = json.loads(state["certificate"])
                device = str(state["device_id"])
                villages = [str(v) for v in cert.get("villages", [])]
                pending = count_for(conn, device, villages, int(state["cursor"]), top)
                rows.append(
                    {
                        "device_id": device,
                        "cadre": cert.get("cadre", ""),
                        "villages": villages,
                        "revoked": state["revoked_at"] is not None,
                        "last_contact": state["last_contact"],
                        "cursor": int(state["cursor"]),
                        "pending": pending,
                        "held": len(list(self.county.held_dir(device).glob(f"*{SUFFIX}"))),
                        "bundles_applied": int(state["bundle_seq"]),
                    }
                )
        return rows

    def households_by_village(self) -> list[dict[str, Any]]:
        """Counts per village and status, for the county view."""
        h = schema.row_place.alias("h")
        r = schema.row_place.alias("r")
        query = (
            select(h.c.village, r.c.name, h.c.status, func.count())
            .select_from(h)
            .outerjoin(
                r, (r.c.tbl == "region") & (r.c.code == h.c.village) & (r.c.voided == false())
            )
            .where(h.c.tbl == "household", h.c.voided == false())
            .group_by(h.c.village, r.c.name, h.c.status)
            .order_by(h.c.village, h.c.status)
        )
        with self.county.store.read() as conn:
            rows = conn.execute(query).all()
        villages: dict[str, dict[str, Any]] = {}
        for code, name, status, count in rows:
            entry = villages.setdefault(
                code or "", {"code": code or "", "name": name or "", "statuses": {}}
            )
            entry["statuses"][status or ""] = int(count)
        return list(villages.values())


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier server in this process (tests): nothing of it is running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _decoded(table: str, field: str, raw: str | None) -> Any:
    try:
        return field_value(table, field, raw)
    except ValueError:
        return json.loads(raw) if raw else None
