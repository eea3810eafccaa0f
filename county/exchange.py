"""The county's side of an exchange, for the server and for USB-only counties alike.

``apply`` runs every check a bundle must pass (decrypts with the county identity, the sender must
be enrolled and not revoked, the signature must be its enrolled key, the bundle must continue
that device's chain, every change must stay inside the villages its certificate names) and then
takes the whole bundle into the store in one transaction (:mod:`county.store.accept`), which
numbers each accepted change with ``server_seq``. The device's row is locked for that
transaction, so two uploads of one bundle apply it once. A bundle that arrives before its
predecessor is kept in ``held/<device>/`` and applied when the gap closes.

``outbox`` / ``down_bundle`` give a laptop its villages' changes after its cursor (the highest
server_seq it reported holding), excluding its own, signed by the county and encrypted to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from county.data import County, CountyError
from county.store import schema
from county.store.accept import Accepted, Prepared, accept, current_top, places, prepare
from county.store.down import entries_for
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync.bundle import (
    SUFFIX,
    BundleError,
    OpenedBundle,
    WrittenBundle,
    bundle_name,
    copy_verified,
    open_bundle,
    write_bundle,
)
from desktop.sync.exchange import ImportReport, Outcome, integrity_message
from desktop.sync.photostore import photo_path


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


@dataclass
class _Chain:
    number: int
    seq_from: int
    seq_to: int
    seen: int
    prev: str


def _chain(manifest: Mapping[str, Any], name: str) -> _Chain:
    try:
        return _Chain(
            int(manifest["bundle_seq"]),
            int(manifest["seq_from"]),
            int(manifest["seq_to"]),
            int(manifest.get("server_seq_seen", 0)),
            str(manifest["prev_hash"]),
        )
    except (KeyError, TypeError, ValueError):
        raise BundleError(_("数据包 {name} 的清单格式不正确，拒收。").format(name=name)) from None


def _apply_opened(county: County, path: Path, opened: OpenedBundle, from_held: bool) -> Outcome:
    manifest = opened.manifest
    name = path.name
    device = str(manifest.get("device_id", ""))
    if manifest.get("kind") != "up" or manifest.get("to") != "county":
        raise BundleError(_("数据包 {name} 不是发给县里的，拒收。").format(name=name))
    state = county.device_state(device) if device else None
    if state is None:
        raise BundleError(
            _("数据包 {name} 来自未登记的设备（{device}），拒收。").format(
                name=name, device=device[:40]
            )
        )
    cert = keyring.verify_document(
        json.loads(state["certificate"]), county.signing_public, keyring.CERTIFICATE_TYPE
    )
    if state["revoked_at"]:
        raise _revoked(name, cert)
    opened.verify_signature(cert["signing_key"])
    chain = _chain(manifest, name)
    if chain.number <= state["bundle_seq"]:  # cheap early answer; decided again under the lock
        return _duplicate_or_refused(path, opened, state, chain)
    entries = opened.read_changes()
    seqs = [e["seq"] for e in entries]
    if any(e["device_id"] != device for e in entries) or seqs != list(
        range(chain.seq_from, chain.seq_to + 1)
    ):
        raise BundleError(_("数据包 {name} 中的变更与清单的序号范围不符，拒收。").format(name=name))
    batch = prepare(entries)
    photos = opened.extract_photos(lambda sha: photo_path(county.photos_anchor, sha))
    d = schema.device.c
    with county.store.begin() as conn:
        # the device's row lock: one bundle of a device at a time, whichever server takes it
        locked: dict[str, Any] = dict(
            conn.execute(select(schema.device).where(d.device_id == device).with_for_update())
            .mappings()
            .one()
        )
        if locked["revoked_at"]:
            raise _revoked(name, cert)
        if chain.number <= locked["bundle_seq"]:
            return _duplicate_or_refused(path, opened, locked, chain)
        if chain.number > locked["bundle_seq"] + 1:
            return _hold(county, path, device, locked, chain, from_held)
        if (
            chain.prev != locked["bundle_hash"]
            or chain.seq_from != locked["seq_to"] + 1
            or chain.seq_to < chain.seq_from - 1
        ):
            raise BundleError(
                _("数据包 {name} 与上一个数据包衔接不上（哈希链或序号不连续），拒收。").format(
                    name=name
                )
            )
        check_villages(conn, batch, set(cert["villages"]), name)
        result = accept(conn, batch)
        conn.execute(
            update(schema.device)
            .where(d.device_id == device)
            .values(
                bundle_seq=chain.number,
                bundle_hash=opened.hash,
                seq_to=chain.seq_to,
                cursor=max(chain.seen, int(locked["cursor"])),
                last_contact=keyring.now_iso(),
            )
        )
    return _applied(path, result, len(photos))


def _revoked(name: str, cert: Mapping[str, Any]) -> BundleError:
    return BundleError(
        _("数据包 {name} 来自已被吊销的设备（{cadre}），拒收。").format(
            name=name, cadre=cert.get("cadre", "")
        )
    )


def _duplicate_or_refused(
    path: Path, opened: OpenedBundle, state: Mapping[str, Any], chain: _Chain
) -> Outcome:
    if chain.number == state["bundle_seq"] and opened.hash != state["bundle_hash"]:
        raise BundleError(
            _("数据包 {name} 与已应用的同编号数据包内容不同，拒收。").format(name=path.name)
        )
    return Outcome(
        path, "duplicate", _("数据包 {name} 之前已经应用过，这次没有改动。").format(name=path.name)
    )


def _hold(
    county: County,
    path: Path,
    device: str,
    state: Mapping[str, Any],
    chain: _Chain,
    from_held: bool,
) -> Outcome:
    if not from_held:
        copy_verified(path, county.held_dir(device) / path.name)
    return Outcome(
        path,
        "held",
        _("数据包 {name} 之前还有 {missing} 个数据包没到，已暂存，等前面的到齐后自动应用。").format(
            name=path.name, missing=chain.number - int(state["bundle_seq"]) - 1
        ),
    )


def _applied(path: Path, result: Accepted, photos: int) -> Outcome:
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
            name=path.name,
            changes=result.applied,
            photos=photos,
            conflicts=len(result.conflicts),
        )
        + clock_note,
        result.applied,
        photos,
        len(result.conflicts),
    )


# --------------------------------------------------------------------------------- villages
def check_villages(conn: Connection, batch: Prepared, villages: set[str], name: str) -> None:
    """Refuse the bundle if any change reaches outside the villages the device may edit."""
    entries = batch.entries
    inserted = batch.inserted
    wanted: set[tuple[str, str]] = set()
    for e in entries:
        wanted.add((e["tbl"], e["row_id"]))
        if e["household_id"]:
            wanted.add(("household", str(e["household_id"])))
        if e["field"] == "household_id" and e["value"]:
            wanted.add(("household", str(json.loads(e["value"]))))
    for payload in inserted.values():
        if payload.get("household_id"):
            wanted.add(("household", str(payload["household_id"])))
    stored = places(conn, (k for k in wanted if k not in inserted))

    def row(table: str, row_id: str) -> Mapping[str, Any] | None:
        if (table, row_id) in inserted:
            return inserted[(table, row_id)]
        found = stored.get((table, row_id))
        if found is None:
            return None
        return {
            "village_code": found["village"],
            "household_id": found["household_id"],
            "code": found["code"] or "",
        }

    def village_of_household(household_id: Any) -> str | None:
        found = row("household", str(household_id)) if household_id else None
        return str(found["village_code"]) if found else None

    def refuse(entry: Mapping[str, Any]) -> BundleError:
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
            if str(current.get("code", ""))[:12] not in villages:
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


# --------------------------------------------------------------------------------- county's own
def accept_county_changes(county: County, entries: list[dict[str, Any]]) -> Accepted:
    """Changes the county itself made (see :mod:`county.replica`): no chain, no village check."""
    batch = prepare(entries)
    with county.store.begin() as conn:
        return accept(conn, batch)


# --------------------------------------------------------------------------------- outbox
def write_outboxes(county: County, out_dir: Path) -> list[WrittenBundle]:
    """A down-bundle for each enrolled, unrevoked laptop that has something new to receive."""
    written = []
    with county.store.read() as conn:
        devices = [
            dict(r)
            for r in conn.execute(
                select(schema.device)
                .where(schema.device.c.revoked_at.is_(None))
                .order_by(schema.device.c.device_id)
            ).mappings()
        ]
    for state in devices:
        bundle = _outbox_for(county, state, Path(out_dir) / state["device_id"])
        if bundle is not None:
            written.append(bundle)
    return written


def down_bundle(
    county: County, device: str, out_dir: Path, cursor: int, acked: int | None = None
) -> WrittenBundle | None:
    """The down-bundle the server hands a laptop online: its villages' changes after ``cursor``
    (what the laptop says it holds) and our acknowledgement of its own changes; None when the
    laptop already has everything (``acked``: the highest of its changes it knows we hold)."""
    state = county.device_state(device)
    if state is None or state["revoked_at"]:
        raise CountyError(_("设备 {id} 没有登记或已被吊销。").format(id=device[:40]))
    return _outbox_for(county, state, Path(out_dir), cursor=cursor, acked=acked)


def _outbox_for(
    county: County,
    state: Mapping[str, Any],
    out_dir: Path,
    cursor: int | None = None,
    acked: int | None = None,
) -> WrittenBundle | None:
    cert = keyring.verify_document(
        json.loads(state["certificate"]), county.signing_public, keyring.CERTIFICATE_TYPE
    )
    device = str(state["device_id"])
    if cursor is None:
        cursor = int(state["cursor"])
    ack = int(state["seq_to"])
    with county.store.read() as conn:
        top = current_top(conn)  # first: every change up to it is committed and visible
        rows = entries_for(conn, device, [str(v) for v in cert["villages"]], cursor, top)
    if not rows and ack <= (int(state["ack_sent"]) if acked is None else acked):
        return None
    number = int(state["down_seq"]) + 1
    header = {
        "kind": "down",
        "bundle_id": f"county-{device}-{number}",
        "device_id": county.device_id,
        "to": device,
        "bundle_seq": number,
        "prev_hash": state["down_hash"],
        "seq_from": cursor + 1,
        "seq_to": max(top, cursor),
        "ack_seq": ack,
        "ack_bundle": int(state["bundle_seq"]),  # its last up-bundle applied here: prune up to it
        "villages": cert["villages"],
        "created_at": keyring.now_iso(),
    }
    bundle = write_bundle(
        out_dir / bundle_name("county", number),
        header,
        rows,
        _photos(county, rows),
        county.signing,
        [cert["age_recipient"]],
    )
    d = schema.device.c
    with county.store.begin() as conn:
        conn.execute(
            update(schema.device)
            .where(d.device_id == device)
            .values(down_seq=number, down_hash=bundle.hash, ack_sent=ack)
        )
    return bundle


def _photos(county: County, rows: list[tuple[Any, ...]]) -> list[tuple[str, Path]]:
    """Photo files the entries add (a photo row's insert names its file by SHA-256)."""
    found: dict[str, Path] = {}
    for row in rows:
        if row[2] != "photo" or row[5] != "*":
            continue
        try:
            sha = str(json.loads(row[6])["sha256"])
        except (ValueError, KeyError, TypeError):
            continue
        path = photo_path(county.photos_anchor, sha)
        if path.is_file():
            found.setdefault(sha, path)
    return sorted(found.items())


__all__ = [
    "CountyError",
    "accept_county_changes",
    "apply_bundle",
    "apply_bundles",
    "down_bundle",
    "write_outboxes",
]
