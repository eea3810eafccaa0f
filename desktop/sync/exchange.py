"""The laptop's side of an exchange: export its changes as bundles, import the county's.

Up-bundles (laptop → county) number this laptop's bundles 1, 2, 3… and chain each to the previous
one's hash; each carries the changes made since the last bundle, the photos they add, and the
highest county ``server_seq`` this laptop has applied (its cursor, which tells the county what to
send next). Exported bundles stay in ``<database>.outbox/`` until the county acknowledges them;
every exchange offers all of them again, so a lost stick loses nothing.

Down-bundles (county → laptop) cover a range of server_seq numbers (after, upto]: applied when
``after`` is at most our cursor, held in ``<database>.held/`` when they would leave a gap, and
reported as already applied when ``upto`` is not past the cursor. Their ``ack_seq`` says up to
which of our changes the county holds; that lets us drop acknowledged bundles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from desktop.core.database import Database
from desktop.core.db import integrity_errors
from desktop.core.i18n import _
from desktop.core.photos import PhotoStore
from desktop.core.services.errors import ServiceError
from desktop.sync import detached
from desktop.sync import keys as keyring
from desktop.sync.bundle import (
    COLUMNS,
    SUFFIX,
    BundleError,
    OpenedBundle,
    WrittenBundle,
    bundle_name,
    copy_verified,
    open_bundle,
    write_bundle,
)
from desktop.sync.merge import apply_entries, raw_cursor, scan_local_conflicts_in
from desktop.sync.photostore import photo_path

EXPORT_KEY = "sync:export"
CURSOR_KEY = "sync:cursor"
LAST_EXCHANGE_KEY = "sync:last_exchange"
OUTBOX_KEY = "sync:outbox"  # exported bundle name -> its last change seq


@dataclass
class Outcome:
    """What happened to one bundle file on import."""

    path: Path
    status: str  # applied | duplicate | held | refused
    message: str
    changes: int = 0
    photos: int = 0
    conflicts: int = 0


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("refused")


@dataclass
class ExportReport:
    new_bundle: WrittenBundle | None
    unacknowledged: list[Path]
    changes: int
    photos: int
    missing_photos: list[str] = field(default_factory=list)


def integrity_message(name: str, exc: Exception) -> str:
    """A bundle whose rows collide with rows already here (e.g. a household number two laptops
    both used): the whole bundle is refused, nothing applied, and the sentence says so."""
    detail = str(getattr(exc, "orig", exc)).splitlines()[0][:120]
    return _("数据包 {name} 与已有的数据冲突（例如户编号重复：{detail}），整包拒收。").format(
        name=name, detail=detail
    )


# --------------------------------------------------------------------------------- settings
def get_setting(conn: Connection, key: str, default: Any = None) -> Any:
    raw = conn.execute(text("SELECT value FROM setting WHERE key = :k"), {"k": key}).scalar()
    return json.loads(raw) if raw is not None else default


def put_setting(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        text(
            "INSERT INTO setting (key, value) VALUES (:k, :v) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        {"k": key, "v": json.dumps(value, ensure_ascii=False)},
    )


def outbox_dir(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".outbox")


def held_dir(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".held")


def work_dir(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".tmp")


@dataclass(frozen=True)
class SyncStatus:
    pending_changes: int
    unacknowledged_bundles: int
    held_bundles: int
    cursor: int
    last_exchange: str | None
    enrolled: bool
    open_conflicts: int


def status(db: Database) -> SyncStatus:
    """What the sync window shows: how much is waiting, and when we last exchanged."""
    with db.read() as conn:
        export = get_setting(conn, EXPORT_KEY, {})
        pending = conn.execute(
            text("SELECT count(*) FROM change_log WHERE device_id = :d AND seq > :s"),
            {"d": db.device_id, "s": export.get("seq_to", 0)},
        ).scalar_one()
        cursor = get_setting(conn, CURSOR_KEY, {}).get("server_seq", 0)
        last = get_setting(conn, LAST_EXCHANGE_KEY)
        conflicts = conn.execute(
            text("SELECT count(*) FROM conflict WHERE resolved_by_change IS NULL")
        ).scalar_one()
    return SyncStatus(
        pending_changes=int(pending),
        unacknowledged_bundles=len(list(outbox_dir(db).glob(f"*{SUFFIX}"))),
        held_bundles=len(list(held_dir(db).glob(f"*{SUFFIX}"))),
        cursor=int(cursor),
        last_exchange=last,
        enrolled=keyring.certificate(db) is not None,
        open_conflicts=int(conflicts),
    )


# --------------------------------------------------------------------------------- export
def export_bundles(db: Database, out_dir: Path | None = None) -> ExportReport:
    """Bundle the changes made since the last bundle, then copy every unacknowledged bundle
    (the new one included) to ``out_dir`` if given."""
    cert = keyring.require_certificate(db)
    device = keyring.device_keys(db, create=False)
    with db.unit_of_work() as uow:  # our own stale-base edits become conflicts before they leave
        scan_local_conflicts_in(uow, raw_cursor(uow))
    with db.read() as conn:
        state = get_setting(conn, EXPORT_KEY, {"bundle_seq": 0, "hash": "", "seq_to": 0})
        cursor = get_setting(conn, CURSOR_KEY, {}).get("server_seq", 0)
        top = conn.execute(
            text("SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE device_id = :d"),
            {"d": device.device_id},
        ).scalar_one()
    written = None
    missing: list[str] = []
    changes = photos = 0
    if top > state["seq_to"] or cursor != state.get("cursor_sent", 0):
        number = state["bundle_seq"] + 1
        header = {
            "kind": "up",
            "bundle_id": f"{device.device_id}-{number}",
            "device_id": device.device_id,
            "to": "county",
            "bundle_seq": number,
            "prev_hash": state["hash"],
            "seq_from": state["seq_to"] + 1,
            "seq_to": int(top),
            "server_seq_seen": cursor,
            "cadre": cert.get("cadre", ""),
            "created_at": keyring.now_iso(),
        }
        photo_files, missing = _photos_between(db, device.device_id, state["seq_to"], int(top))
        written = write_bundle(
            outbox_dir(db) / bundle_name(device.device_id, number),
            header,
            _own_changes(db, device.device_id, state["seq_to"], int(top)),
            photo_files,
            device.signing,
            [cert["county_recipient"]],
            open_photo=PhotoStore.for_database(db.path).open_file,
        )
        detached.sign_file(written.path, device.signing, device.device_id)
        changes = written.manifest["counts"]["changes"]
        photos = written.manifest["counts"]["photos"]
        with db.write_connection() as conn:
            put_setting(
                conn,
                EXPORT_KEY,
                {
                    "bundle_seq": number,
                    "hash": written.hash,
                    "seq_to": int(top),
                    "cursor_sent": cursor,
                },
            )
            index = get_setting(conn, OUTBOX_KEY, {})
            index[written.path.name] = int(top)
            put_setting(conn, OUTBOX_KEY, index)
    files = sorted(outbox_dir(db).glob(f"*{SUFFIX}"))
    sign_unsigned(files, device)
    copies = []
    if out_dir is not None:
        for path in files:
            # the signature first: a bundle on the stick always has its signature beside it
            signature = detached.signature_path(path)
            copy_verified(signature, Path(out_dir) / signature.name)
            copy_verified(path, Path(out_dir) / path.name)
            copies.append(Path(out_dir) / path.name)
    return ExportReport(written, copies or files, changes, photos, missing)


def sign_unsigned(files: Iterable[Path], device: keyring.DeviceKeys) -> None:
    """Bundles exported before detached signatures existed get one now, so a relay can check
    them (the laptop still holds the key that made them)."""
    for path in files:
        if not detached.signature_path(path).is_file():
            detached.sign_file(path, device.signing, device.device_id)


def _own_changes(db: Database, device_id: str, after: int, upto: int) -> Iterable[tuple[Any, ...]]:
    """Our entries in the bundle's column order, streamed as plain tuples (fast for 100k)."""
    with db.read() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.arraysize = 2000
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM change_log "
            "WHERE device_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
            (device_id, after, upto),
        )
        while batch := cursor.fetchmany():
            yield from batch


def _photos_between(
    db: Database, device_id: str, after: int, upto: int
) -> tuple[list[tuple[str, Path]], list[str]]:
    """Photo files added by our changes in a range: (present, missing hashes)."""
    return photos_for_query(
        db,
        "SELECT value FROM change_log WHERE device_id = :d AND seq > :a AND seq <= :u "
        "AND tbl = 'photo' AND field = '*'",
        {"d": device_id, "a": after, "u": upto},
        db.path,
    )


def photos_for_query(
    db: Database, query: str, params: dict[str, Any], store_db_path: Path
) -> tuple[list[tuple[str, Path]], list[str]]:
    present: dict[str, Path] = {}
    missing: list[str] = []
    with db.read() as conn:
        for (value,) in conn.execute(text(query), params):
            try:
                sha = str(json.loads(value)["sha256"])
            except (ValueError, KeyError, TypeError):
                continue
            path = photo_path(store_db_path, sha)
            if path.is_file():
                present.setdefault(sha, path)
            elif sha not in missing:
                missing.append(sha)
    return sorted(present.items()), missing


# --------------------------------------------------------------------------------- import
def import_bundles(db: Database, files: Iterable[Path]) -> ImportReport:
    """Import the county's bundles for this laptop; then retry any held ones."""
    cert = keyring.require_certificate(db)
    device = keyring.device_keys(db, create=False)
    report = ImportReport()
    for path in files:
        report.outcomes.append(_import_one(db, Path(path), cert, device))
    _retry_held(db, cert, device, report)
    with db.write_connection() as conn:
        put_setting(conn, LAST_EXCHANGE_KEY, keyring.now_iso())
    return report


def _retry_held(
    db: Database, cert: dict[str, Any], device: keyring.DeviceKeys, report: ImportReport
) -> None:
    progress = True
    while progress:
        progress = False
        for path in sorted(held_dir(db).glob(f"*{SUFFIX}")):
            outcome = _import_one(db, path, cert, device, from_held=True)
            if outcome.status != "held":
                path.unlink(missing_ok=True)
                _replace_outcome(report, outcome)
                progress = progress or outcome.status == "applied"


def _replace_outcome(report: ImportReport, outcome: Outcome) -> None:
    for i, old in enumerate(report.outcomes):
        if old.path.name == outcome.path.name and old.status == "held":
            report.outcomes[i] = outcome
            return
    report.outcomes.append(outcome)


def _import_one(
    db: Database,
    path: Path,
    cert: dict[str, Any],
    device: keyring.DeviceKeys,
    from_held: bool = False,
) -> Outcome:
    try:
        with open_bundle(path, [device.age_identity], work_dir(db)) as opened:
            return _apply_down(db, path, opened, cert, device, from_held)
    except (BundleError, ServiceError) as exc:
        return Outcome(path, "refused", str(exc))
    except integrity_errors(IntegrityError) as exc:
        return Outcome(path, "refused", integrity_message(path.name, exc))


def _apply_down(
    db: Database,
    path: Path,
    opened: OpenedBundle,
    cert: dict[str, Any],
    device: keyring.DeviceKeys,
    from_held: bool,
) -> Outcome:
    manifest = opened.manifest
    if manifest.get("kind") != "down" or manifest.get("to") != device.device_id:
        raise BundleError(_("数据包 {name} 不是县里发给本机的，拒收。").format(name=path.name))
    opened.verify_signature(cert["county_signing_key"])
    after, upto = int(manifest["seq_from"]) - 1, int(manifest["seq_to"])
    with db.read() as conn:
        cursor = get_setting(conn, CURSOR_KEY, {}).get("server_seq", 0)
    if after > cursor:
        if not from_held:
            copy_verified(path, held_dir(db) / path.name)
        return Outcome(
            path,
            "held",
            _("数据包 {name} 之前还有数据包没到，已暂存，等前面的到齐后自动导入。").format(
                name=path.name
            ),
        )
    entries = opened.read_changes()
    if any(e.get("server_seq") is None for e in entries):
        raise BundleError(_("数据包 {name} 的内容格式不正确，拒收。").format(name=path.name))
    for entry in entries:
        entry["acked"] = True  # others' changes: nothing for us to send back
    store = PhotoStore.for_database(db.path)  # seals photos beside an encrypted database
    photos = opened.extract_photos(store.path, store.writer)
    with db.unit_of_work() as uow:
        result = apply_entries(uow, entries)
        put_setting(uow.connection, CURSOR_KEY, {"server_seq": max(cursor, upto)})
        _acknowledge(uow.connection, device.device_id, int(manifest.get("ack_seq", 0)))
    _prune_outbox(db, int(manifest.get("ack_bundle", 0)))
    if result.applied == 0 and upto <= cursor:
        return Outcome(
            path,
            "duplicate",
            _("数据包 {name} 之前已经导入过，这次没有改动。").format(name=path.name),
        )
    clock_note = (
        _("其中 {count} 条变更的时间远在未来，请检查发送方电脑的时钟。").format(
            count=result.far_future
        )
        if result.far_future
        else ""
    )
    return Outcome(
        path,
        "applied",
        _("已导入数据包 {name}：{changes} 条变更，{photos} 张照片，{conflicts} 处冲突。").format(
            name=path.name,
            changes=result.applied,
            photos=len(photos),
            conflicts=len(result.conflicts),
        )
        + clock_note,
        result.applied,
        len(photos),
        len(result.conflicts),
    )


def bundle_number(name: str) -> int | None:
    """The sequence number in a bundle's file name (``<device>-000012.dsb`` -> 12)."""
    stem = name.removesuffix(SUFFIX)
    digits = stem.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else None


def _acknowledge(conn: Connection, device_id: str, ack_seq: int) -> None:
    if ack_seq > 0:
        conn.execute(
            text(
                "UPDATE change_log SET acked = 1 WHERE device_id = :d AND seq <= :s AND acked = 0"
            ),
            {"d": device_id, "s": ack_seq},
        )


def _prune_outbox(db: Database, ack_bundle: int) -> None:
    """Drop our exported bundles the county says it has applied (its last applied bundle of
    ours). Not by change seq: a bundle that only carries our cursor holds no change, and
    dropping it before the county has it would leave every later bundle held there for ever."""
    with db.read() as conn:
        index: dict[str, int] = get_setting(conn, OUTBOX_KEY, {})
    gone = []
    for name in index:
        number = bundle_number(name)
        if number is not None and number <= ack_bundle:
            (outbox_dir(db) / name).unlink(missing_ok=True)
            detached.signature_path(outbox_dir(db) / name).unlink(missing_ok=True)
            gone.append(name)
    if gone:
        with db.write_connection() as conn:
            index = get_setting(conn, OUTBOX_KEY, {})
            for name in gone:
                index.pop(name, None)
            put_setting(conn, OUTBOX_KEY, index)


__all__ = [
    "ExportReport",
    "ImportReport",
    "Outcome",
    "SyncStatus",
    "export_bundles",
    "import_bundles",
    "status",
]
