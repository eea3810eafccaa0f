"""The county's side of an exchange without a server: apply laptops' bundles, write down-bundles.

``apply`` runs every check a bundle must pass (decrypts with the county identity, the sender must
be enrolled and not revoked, the signature must be its enrolled key, the bundle must continue
that device's chain, every change must stay inside the villages its certificate names) and then
applies the whole bundle in one transaction, numbering each accepted change with ``server_seq``.
A bundle that arrives before its predecessor is kept in ``held/<device>/`` and applied when the
gap closes. The server will call the same functions.

``outbox`` gives each enrolled laptop its villages' changes after its cursor (the highest
server_seq it reported applying), excluding its own, signed by the county and encrypted to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from county.data import County, CountyError
from desktop.core.i18n import _
from desktop.core.models import SYNCED
from desktop.core.services.errors import ServiceError
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
from desktop.sync.exchange import (
    ImportReport,
    Outcome,
    get_setting,
    integrity_message,
    photos_for_query,
    put_setting,
)
from desktop.sync.merge import apply_entries, raw_cursor
from desktop.sync.photostore import photo_path

PEER_KEY = "county:peer:{device}"  # last applied up-bundle of a device, and its cursor
DOWN_KEY = "county:down:{device}"  # last down-bundle written for a device


# --------------------------------------------------------------------------------- numbering
def number_changes(conn: Connection) -> int:
    """Give every change without a server_seq the next numbers, in the order they were logged."""
    top = conn.execute(text("SELECT COALESCE(MAX(server_seq), 0) FROM change_log")).scalar_one()
    first = conn.execute(
        text("SELECT MIN(rowid) FROM change_log WHERE server_seq IS NULL")
    ).scalar_one()
    if first is None:
        return int(top)
    conn.execute(
        text("UPDATE change_log SET server_seq = rowid + :o WHERE server_seq IS NULL"),
        {"o": int(top) - int(first) + 1},
    )
    return int(conn.execute(text("SELECT MAX(server_seq) FROM change_log")).scalar_one())


# --------------------------------------------------------------------------------- apply
def apply_bundles(county: County, files: Iterable[Path]) -> ImportReport:
    report = ImportReport()
    touched: set[str] = set()
    for path in files:
        outcome, device = _apply_file(county, Path(path))
        report.outcomes.append(outcome)
        if device:
            touched.add(device)
    for device in sorted(touched):
        _retry_held(county, device, report)
    return report


def apply_bundle(county: County, path: Path) -> tuple[ImportReport, str | None]:
    """One bundle exactly as :func:`apply_bundles` takes it, plus the device that verifiably sent
    it (None when refused): the server records that device's contact."""
    report = ImportReport()
    outcome, device = _apply_file(county, Path(path))
    report.outcomes.append(outcome)
    if device:
        _retry_held(county, device, report)
    return report, device


def _apply_file(county: County, path: Path, from_held: bool = False) -> tuple[Outcome, str | None]:
    try:
        with open_bundle(path, [county.age_identity], county.work_dir) as opened:
            device = str(opened.manifest.get("device_id", ""))
            return _apply_opened(county, path, opened, from_held), device
    except (BundleError, ServiceError) as exc:
        return Outcome(path, "refused", str(exc)), None
    except (sqlite3.IntegrityError, IntegrityError) as exc:
        return Outcome(path, "refused", integrity_message(path.name, exc)), None


def _retry_held(county: County, device: str, report: ImportReport) -> None:
    progress = True
    while progress:
        progress = False
        for path in sorted(county.held_dir(device).glob(f"*{SUFFIX}")):
            outcome, _device = _apply_file(county, path, from_held=True)
            if outcome.status == "held":
                continue
            path.unlink(missing_ok=True)
            for i, old in enumerate(report.outcomes):
                if old.path.name == path.name and old.status == "held":
                    report.outcomes[i] = outcome
                    break
            else:
                report.outcomes.append(outcome)
            progress = progress or outcome.status == "applied"


def _apply_opened(county: County, path: Path, opened: OpenedBundle, from_held: bool) -> Outcome:
    manifest = opened.manifest
    name = path.name
    device = str(manifest.get("device_id", ""))
    if manifest.get("kind") != "up" or manifest.get("to") != "county":
        raise BundleError(_("数据包 {name} 不是发给县里的，拒收。").format(name=name))
    cert = county.certificate(device) if device else None
    if cert is None:
        raise BundleError(
            _("数据包 {name} 来自未登记的设备（{device}），拒收。").format(
                name=name, device=device[:40]
            )
        )
    if device in county.revoked():
        raise BundleError(
            _("数据包 {name} 来自已被吊销的设备（{cadre}），拒收。").format(
                name=name, cadre=cert.get("cadre", "")
            )
        )
    opened.verify_signature(cert["signing_key"])
    try:
        number, seq_from, seq_to = (
            int(manifest["bundle_seq"]),
            int(manifest["seq_from"]),
            int(manifest["seq_to"]),
        )
        seen = int(manifest.get("server_seq_seen", 0))
        prev = str(manifest["prev_hash"])
    except (KeyError, TypeError, ValueError):
        raise BundleError(_("数据包 {name} 的清单格式不正确，拒收。").format(name=name)) from None
    key = PEER_KEY.format(device=device)
    with county.db.read() as conn:
        peer = get_setting(conn, key, {"bundle_seq": 0, "hash": "", "seq_to": 0, "cursor": 0})
    if number <= peer["bundle_seq"]:
        if number == peer["bundle_seq"] and opened.hash != peer["hash"]:
            raise BundleError(
                _("数据包 {name} 与已应用的同编号数据包内容不同，拒收。").format(name=name)
            )
        return Outcome(
            path, "duplicate", _("数据包 {name} 之前已经应用过，这次没有改动。").format(name=name)
        )
    if number > peer["bundle_seq"] + 1:
        if not from_held:
            copy_verified(path, county.held_dir(device) / name)
        return Outcome(
            path,
            "held",
            _(
                "数据包 {name} 之前还有 {missing} 个数据包没到，已暂存，等前面的到齐后自动应用。"
            ).format(name=name, missing=number - peer["bundle_seq"] - 1),
        )
    if prev != peer["hash"] or seq_from != peer["seq_to"] + 1 or seq_to < seq_from - 1:
        raise BundleError(
            _("数据包 {name} 与上一个数据包衔接不上（哈希链或序号不连续），拒收。").format(
                name=name
            )
        )
    entries = opened.read_changes()
    seqs = [e["seq"] for e in entries]
    if any(e["device_id"] != device for e in entries) or seqs != list(range(seq_from, seq_to + 1)):
        raise BundleError(_("数据包 {name} 中的变更与清单的序号范围不符，拒收。").format(name=name))
    for entry in entries:
        entry["server_seq"] = None
        entry["acked"] = True
    with county.db.read() as conn:
        check_villages(conn, entries, set(cert["villages"]), name)
    photos = opened.extract_photos(lambda sha: photo_path(county.db.path, sha))
    with county.db.unit_of_work() as uow:
        result = apply_entries(uow, entries)
        uow.flush_log()
        number_changes(uow.connection)
        put_setting(
            uow.connection,
            key,
            {
                "bundle_seq": number,
                "hash": opened.hash,
                "seq_to": seq_to,
                "cursor": max(seen, peer.get("cursor", 0)),
            },
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
        _("已应用数据包 {name}：{changes} 条变更，{photos} 张照片，{conflicts} 处冲突。").format(
            name=name,
            changes=result.applied,
            photos=len(photos),
            conflicts=len(result.conflicts),
        )
        + clock_note,
        result.applied,
        len(photos),
        len(result.conflicts),
    )


# --------------------------------------------------------------------------------- villages
def check_villages(
    conn: Connection, entries: list[dict[str, Any]], villages: set[str], name: str
) -> None:
    """Refuse the bundle if any change reaches outside the villages the device may edit."""
    inserted: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:
        if e["field"] == "*":
            try:
                payload = json.loads(e["value"])
            except (TypeError, ValueError):
                raise BundleError(
                    _("数据包 {name} 的内容格式不正确，拒收。").format(name=name)
                ) from None
            if not isinstance(payload, dict):
                raise BundleError(_("数据包 {name} 的内容格式不正确，拒收。").format(name=name))
            inserted[(e["tbl"], e["row_id"])] = payload

    known: dict[tuple[str, str], Mapping[str, Any] | None] = {}

    def row(table: str, row_id: str) -> Mapping[str, Any] | None:
        if (table, row_id) in inserted:
            return inserted[(table, row_id)]
        if table not in SYNCED:
            return None
        if (table, row_id) not in known:
            found = conn.execute(text(f"SELECT * FROM {table} WHERE id = :i"), {"i": row_id})
            first = found.mappings().first()
            known[(table, row_id)] = dict(first) if first is not None else None
        return known[(table, row_id)]

    def village_of_household(household_id: Any) -> str | None:
        found = row("household", str(household_id)) if household_id else None
        return str(found["village_code"]) if found else None

    def refuse(entry: dict[str, Any]) -> BundleError:
        return BundleError(
            _("数据包 {name} 修改了该设备无权修改的村的数据（{table} {row}），整包拒收。").format(
                name=name, table=entry["tbl"], row=entry["row_id"]
            )
        )

    for e in entries:
        table, row_id = e["tbl"], e["row_id"]
        current = row(table, row_id)
        if current is None:
            raise BundleError(
                _("数据包 {name} 修改了县里没有的记录（{table} {row}），拒收。").format(
                    name=name, table=table, row=row_id
                )
            )
        if table == "helper":
            continue
        if table == "region":
            code = str(current.get("code", ""))
            if code[:12] not in villages:
                raise refuse(e)
            continue
        if table == "household":
            if village_of_household(row_id) not in villages:
                raise refuse(e)
            if e["field"] == "village_code" and json.loads(e["value"] or "null") not in villages:
                raise refuse(e)
            if e["household_id"] != row_id:
                raise refuse(e)
            continue
        household = current.get("household_id")
        if village_of_household(household) not in villages or e["household_id"] != household:
            raise refuse(e)
        moved_to = json.loads(e["value"] or "null") if e["field"] == "household_id" else household
        if village_of_household(moved_to) not in villages:
            raise refuse(e)


# --------------------------------------------------------------------------------- outbox
def write_outboxes(county: County, out_dir: Path) -> list[WrittenBundle]:
    """A down-bundle for each enrolled, unrevoked laptop that has something new to receive."""
    with county.db.write_connection() as conn:
        top = number_changes(conn)
    revoked = county.revoked()
    written = []
    for cert in county.devices():
        device = cert["device_id"]
        if device in revoked:
            continue
        bundle = _outbox_for(county, cert, Path(out_dir) / device, top)
        if bundle is not None:
            written.append(bundle)
    return written


def down_bundle(
    county: County, device: str, out_dir: Path, cursor: int, acked: int | None = None
) -> WrittenBundle | None:
    """The down-bundle the server hands a laptop online: its villages' changes after ``cursor``
    (what the laptop says it holds) and our acknowledgement of its own changes; None when the
    laptop already has everything (``acked``: the highest of its changes it knows we hold)."""
    cert = county.certificate(device)
    if cert is None or device in county.revoked():
        raise CountyError(_("设备 {id} 没有登记或已被吊销。").format(id=device[:40]))
    with county.db.write_connection() as conn:
        top = number_changes(conn)
    return _outbox_for(county, cert, Path(out_dir), top, cursor=cursor, acked=acked)


def _outbox_for(
    county: County,
    cert: dict[str, Any],
    out_dir: Path,
    top: int,
    cursor: int | None = None,
    acked: int | None = None,
) -> WrittenBundle | None:
    device = cert["device_id"]
    with county.db.read() as conn:
        peer = get_setting(conn, PEER_KEY.format(device=device), {"seq_to": 0, "cursor": 0})
        down = get_setting(conn, DOWN_KEY.format(device=device), {"bundle_seq": 0, "hash": ""})
    if cursor is None:
        cursor = int(peer.get("cursor", 0))
    ack = int(peer.get("seq_to", 0))
    where, params = _relevant(cert, cursor, top)
    with county.db.read() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM change_log c {where}"), params).scalar()
    if not count and ack <= (down.get("ack_sent", 0) if acked is None else acked):
        return None
    number = int(down["bundle_seq"]) + 1
    header = {
        "kind": "down",
        "bundle_id": f"county-{device}-{number}",
        "device_id": county.db.device_id,
        "to": device,
        "bundle_seq": number,
        "prev_hash": down["hash"],
        "seq_from": cursor + 1,
        "seq_to": top,
        "ack_seq": ack,
        "villages": cert["villages"],
        "created_at": county_now(),
    }
    photos, _missing = photos_for_query(
        county.db,
        f"SELECT c.value FROM change_log c {where} AND c.tbl = 'photo' AND c.field = '*'",
        params,
        county.db.path,
    )
    bundle = write_bundle(
        out_dir / bundle_name("county", number),
        header,
        _changes(county, where, params),
        photos,
        county.signing,
        [cert["age_recipient"]],
    )
    with county.db.write_connection() as conn:
        put_setting(
            conn,
            DOWN_KEY.format(device=device),
            {"bundle_seq": number, "hash": bundle.hash, "ack_sent": ack, "seq_to": top},
        )
    return bundle


def _relevant(cert: dict[str, Any], cursor: int, top: int) -> tuple[str, dict[str, Any]]:
    villages = [str(v) for v in cert["villages"]]
    marks = ", ".join(f":v{i}" for i in range(len(villages)))
    params: dict[str, Any] = {f"v{i}": v for i, v in enumerate(villages)}
    params.update({"d": cert["device_id"], "c": cursor, "t": top})
    where = (
        "WHERE c.server_seq > :c AND c.server_seq <= :t AND c.device_id != :d AND ("
        f"c.household_id IN (SELECT id FROM household WHERE village_code IN ({marks})) "
        "OR (c.household_id IS NULL AND c.tbl != 'region') "
        f"OR (c.tbl = 'region' AND c.row_id IN (SELECT id FROM region WHERE "
        f"substr(code, 1, 12) IN ({marks}) OR code IN (SELECT parent_code FROM region "
        f"WHERE code IN ({marks})) OR level IN ('province', 'city', 'county'))))"
    )
    return where, params


def _changes(county: County, where: str, params: dict[str, Any]) -> Iterable[tuple[Any, ...]]:
    """The entries for a down-bundle in the bundle's column order, streamed as tuples."""
    columns = ", ".join(f"c.{c}" for c in COLUMNS)
    with county.db.read() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.arraysize = 2000
        cursor.execute(f"SELECT {columns} FROM change_log c {where} ORDER BY c.server_seq", params)
        while batch := cursor.fetchmany():
            yield from batch


def county_now() -> str:
    from desktop.sync.keys import now_iso

    return now_iso()


__all__ = [
    "CountyError",
    "apply_bundle",
    "apply_bundles",
    "down_bundle",
    "number_changes",
    "raw_cursor",
    "write_outboxes",
]
