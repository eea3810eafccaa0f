"""Bundles between laptops and the county: the happy path, held bundles, acks, and every bad
input the issue lists — each refused with a clear sentence and nothing applied."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from county.data import County
from county.enrollment import revoke
from desktop.core.database import Database, open_database
from desktop.sync import agecrypt, minisign
from desktop.sync import keys as keyring
from desktop.sync.bundle import MANIFEST, SIGNATURE, manifest_text
from desktop.sync.exchange import import_bundles, outbox_dir, status
from tests.sync.network import Network, make_network
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households


def county_counts(county: County) -> tuple[int, int]:
    """Changes the county holds, and households it knows."""
    with county.store.read() as conn:
        return (
            int(conn.execute(text("SELECT count(*) FROM change_log")).scalar_one()),
            int(
                conn.execute(
                    text("SELECT count(*) FROM row_place WHERE tbl = 'household'")
                ).scalar_one()
            ),
        )


def households(db: Database) -> list[str]:
    with db.read() as conn:
        return [r[0] for r in conn.execute(text("SELECT number FROM household ORDER BY number"))]


def refused(net: Network, path: Path, fragment: str) -> str:
    before = county_counts(net.county)
    report = net.apply([path])
    [outcome] = report.outcomes
    assert outcome.status == "refused", outcome.message
    assert fragment in outcome.message
    assert outcome.message.endswith("。")
    assert county_counts(net.county) == before  # nothing applied
    return outcome.message


# --------------------------------------------------------------------------------- happy path
def test_a_to_county_to_b(net: Network) -> None:
    seed_households(net.laptops["A"], 2)
    [bundle] = net.export("A")
    report = net.apply([bundle])
    assert [o.status for o in report.outcomes] == ["applied"]
    net.outbox()
    assert net.deliver("B").ok
    assert households(net.laptops["B"]) == households(net.laptops["A"])
    # A hears the county's acknowledgement and drops its acknowledged bundle
    net.deliver("A")
    assert status(net.laptops["A"]).unacknowledged_bundles == 0
    with net.laptops["A"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM change_log WHERE acked = 0")).scalar() == 0


def test_the_same_bundle_twice_is_acknowledged_and_ignored(net: Network) -> None:
    seed_households(net.laptops["A"], 1)
    [bundle] = net.export("A")
    net.apply([bundle])
    before = county_counts(net.county)
    [outcome] = net.apply([bundle]).outcomes
    assert outcome.status == "duplicate" and "已经应用过" in outcome.message
    assert county_counts(net.county) == before
    net.outbox()
    net.deliver("B")
    [again] = net.deliver("B").outcomes
    assert again.status == "duplicate"


def test_a_bundle_before_its_predecessor_is_held_until_the_gap_closes(net: Network) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    [first] = net.export("A")
    seed_households(a, 1, start=2)
    [second] = net.export("A")
    [held] = net.apply([second]).outcomes
    assert held.status == "held" and "暂存" in held.message
    assert county_counts(net.county)[1] == 0
    report = net.apply([first])
    assert sorted(o.status for o in report.outcomes) == ["applied", "applied"]
    assert county_counts(net.county)[1] == 2
    assert not list(net.county.held_dir(a.device_id).glob("*.dsb"))


def test_a_bundle_the_county_has_not_applied_stays_in_the_outbox(net: Network) -> None:
    """A bundle that only reports the laptop's cursor holds no change; it must still wait for
    the county's word before it is dropped, or every later bundle is held there for ever
    (found by the convergence test: B imports, exports, imports again, then edits)."""
    seed_households(net.laptops["A"], 1)
    net.apply(net.export("A"))
    net.outbox()
    b = net.laptops["B"]
    assert net.deliver("B").ok
    [cursor_only] = net.export("B")  # nothing of B's own yet: only its cursor
    assert cursor_only.is_file()
    seed_households(net.laptops["A"], 1, start=2)
    net.apply(net.export("A"))
    net.outbox()
    assert net.deliver("B").ok  # the county has not seen B's first bundle yet
    assert cursor_only.is_file()
    with b.unit_of_work() as uow:
        household = uow.connection.execute(text("SELECT id FROM household LIMIT 1")).scalar_one()
        uow.update("household", household, {"phone": "13800000001"})
    net.export("B")
    report = net.apply(sorted(outbox_dir(b).glob("*.dsb")))
    assert sorted(o.status for o in report.outcomes) == ["applied", "applied"], [
        o.message for o in report.outcomes
    ]
    net.outbox()
    net.deliver("A")
    with net.laptops["A"].read() as conn:
        phones = [r[0] for r in conn.execute(text("SELECT phone FROM household"))]
    assert "13800000001" in phones
    net.deliver("B")  # now the county has both: B drops them
    assert status(b).unacknowledged_bundles == 0


def test_a_down_bundle_after_a_gap_is_held_on_the_laptop(net: Network, tmp_path: Path) -> None:
    """B restored from a backup older than the county believes: the newer down-bundle waits
    until the older one is imported, then both apply."""
    import shutil
    import sqlite3

    a, b = net.laptops["A"], net.laptops["B"]
    backup = tmp_path / "B-backup.db"
    source, target = sqlite3.connect(b.path), sqlite3.connect(backup)
    source.backup(target)
    source.close(), target.close()
    shutil.copy(keyring.keys_path(b), backup.with_name(backup.name + ".keys.json"))
    seed_households(a, 1)
    net.apply(net.export("A"))
    [first] = net.outbox()[b.device_id]
    first = first.rename(tmp_path / "first.dsb")
    net.deliver("B")
    import_bundles(b, [first])
    net.apply(net.export("B"))  # B tells the county how far it got
    seed_households(a, 1, start=2)
    net.apply(net.export("A"))
    [second] = net.outbox()[b.device_id]
    restored = open_database(backup)
    try:
        [held] = import_bundles(restored, [second]).outcomes
        assert held.status == "held" and households(restored) == []
        outcomes = import_bundles(restored, [first]).outcomes
        assert sorted(o.status for o in outcomes) == ["applied", "applied"]
        assert households(restored) == households(a)
        assert status(restored).held_bundles == 0
    finally:
        restored.close()


def test_villages_outside_the_certificate_refuse_the_whole_bundle(net: Network) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    seed_households(a, 1, village=OTHER_VILLAGE, start=5)
    [bundle] = net.export("A")
    refused(net, bundle, "无权修改")


def test_unknown_device_is_refused(net: Network, tmp_path: Path) -> None:
    stranger = make_network(tmp_path / "other")
    try:
        other = stranger.laptop("X")
        seed_households(other, 1)
        # a laptop enrolled elsewhere cannot even reach our county; forge its bundle to our key
        cert = keyring.certificate(other)
        assert cert is not None
        forged = dict(cert, county_recipient=net.county.age_recipient)
        with other.write_connection() as conn:
            conn.execute(
                text("UPDATE setting SET value = :v WHERE key = 'sync:certificate'"),
                {"v": json.dumps(forged)},
            )
        [bundle] = stranger.export("X")
        refused(net, bundle, "未登记的设备")
    finally:
        stranger.close()


def test_revoked_device_is_refused(net: Network) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    [bundle] = net.export("A")
    revoke(net.county, a.device_id, "电脑丢失")
    refused(net, bundle, "已被吊销")


def test_wrong_recipient_is_refused(net: Network, tmp_path: Path) -> None:
    other = County.init(tmp_path / "elsewhere")
    try:
        a = net.laptops["A"]
        seed_households(a, 1)
        [bundle] = net.export("A")
        report = other_apply(other, bundle)
        assert "不是加密给本机" in report
    finally:
        other.close()


def other_apply(county: County, bundle: Path) -> str:
    from county.exchange import apply_bundles

    [outcome] = apply_bundles(county, [bundle]).outcomes
    assert outcome.status == "refused"
    return outcome.message


# --------------------------------------------------------------------------------- tampering
def unpack(net: Network, bundle: Path) -> dict[str, bytes]:
    plain = io.BytesIO()
    with open(bundle, "rb") as src:
        agecrypt.decrypt_stream(src, plain, [net.county.age_identity])
    with zipfile.ZipFile(plain) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repack(
    net: Network,
    files: dict[str, bytes],
    target: Path,
    signer: minisign.SigningKey | None,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Rebuild a payload; with a signer, a fresh signature over the (maybe edited) manifest."""
    files = dict(files)
    if manifest is not None:
        files[MANIFEST] = manifest_text(manifest)
    if signer is not None:
        files[SIGNATURE] = signer.sign(files[MANIFEST]).encode()
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    plain.seek(0)
    with open(target, "wb") as out:
        agecrypt.encrypt_stream(plain, out, [net.county.age_recipient])
    return target


def signer_of(db: Database) -> minisign.SigningKey:
    return keyring.device_keys(db, create=False).signing


@pytest.fixture
def made(net: Network) -> tuple[Network, Path, dict[str, bytes]]:
    seed_households(net.laptops["A"], 1)
    [bundle] = net.export("A")
    return net, bundle, unpack(net, bundle)


def test_truncated_file(made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path) -> None:
    net, bundle, _files = made
    data = bundle.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 40):
        broken = tmp_path / f"cut{cut}.dsb"
        broken.write_bytes(data[:cut])
        message = refused(net, broken, "拒收") if cut > 200 else refused(net, broken, "")
        assert "数据包" in message or "文件" in message


def test_a_flipped_bit_anywhere(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, bundle, _files = made
    data = bytearray(bundle.read_bytes())
    for position in (5, 60, 150, len(data) // 2, len(data) - 3):
        flipped = bytearray(data)
        flipped[position] ^= 0x04
        path = tmp_path / f"bit{position}.dsb"
        path.write_bytes(bytes(flipped))
        refused(net, path, "")


def test_signature_from_another_device(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["B"]))
    refused(net, forged, "签名不是来自所登记的设备")


def test_edited_manifest_without_a_new_signature(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest["server_seq_seen"] = 99
    forged = repack(net, files, tmp_path / "f.dsb", None, manifest)
    refused(net, forged, "签名无效")


def test_manifest_listing_a_missing_entry(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest["entries"].append(
        {"name": "photos/" + "a" * 64 + ".jpg", "size": 3, "sha256": "a" * 64}
    )
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["A"]), manifest)
    refused(net, forged, "不在包内")


def test_an_entry_the_manifest_does_not_list(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    files["photos/" + "b" * 64 + ".jpg"] = b"extra"
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["A"]))
    refused(net, forged, "清单未列出")


def test_an_entry_whose_hash_differs(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    changes = files["changes.jsonl"].replace("户主1".encode(), "户主X".encode())
    assert changes != files["changes.jsonl"]
    forged = repack(
        net, {**files, "changes.jsonl": changes}, tmp_path / "f.dsb", signer_of(net.laptops["A"])
    )
    refused(net, forged, "校验值不符")


@pytest.mark.parametrize(
    "name", ["../x", "/etc/passwd", "photos/../../x.jpg", "C:\\x", "photos/x.jpg"]
)
def test_path_escaping_or_unknown_entry_names(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path, name: str
) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest["entries"].append({"name": name, "size": 1, "sha256": "0" * 64})
    forged = repack(
        net, {**files, name: b"x"}, tmp_path / "f.dsb", signer_of(net.laptops["A"]), manifest
    )
    refused(net, forged, "不允许的文件名")


def test_a_decompression_bomb(made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path) -> None:
    import hashlib

    net, _bundle, files = made
    bomb = b"\n" * (64 << 20)
    manifest = json.loads(files[MANIFEST])
    manifest["entries"][0] = {
        "name": "changes.jsonl",
        "size": len(bomb),
        "sha256": hashlib.sha256(bomb).hexdigest(),
    }
    forged = repack(
        net,
        {**files, "changes.jsonl": bomb},
        tmp_path / "f.dsb",
        signer_of(net.laptops["A"]),
        manifest,
    )
    assert forged.stat().st_size < 1 << 20
    refused(net, forged, "压缩炸弹")


def test_a_bomb_that_understates_its_size(
    made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest["entries"][0]["size"] = 10  # the zip says more: refused before reading
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["A"]), manifest)
    refused(net, forged, "校验值不符")


def test_a_replayed_bundle_from_an_older_chain_position(net: Network) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    [first] = net.export("A")
    net.apply([first])
    seed_households(a, 1, start=2)
    [second] = net.export("A")
    net.apply([second])
    before = county_counts(net.county)
    outcomes = net.apply([first, second]).outcomes
    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert county_counts(net.county) == before


def test_a_broken_chain(made: tuple[Network, Path, dict[str, bytes]], tmp_path: Path) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest["prev_hash"] = "f" * 64
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["A"]), manifest)
    refused(net, forged, "衔接不上")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [("format", 2, "更新版本"), ("schema", "9999_future", "不认识的数据结构版本")],
)
def test_a_bundle_from_a_future_version(
    made: tuple[Network, Path, dict[str, bytes]],
    tmp_path: Path,
    key: str,
    value: object,
    fragment: str,
) -> None:
    net, _bundle, files = made
    manifest = json.loads(files[MANIFEST])
    manifest[key] = value
    forged = repack(net, files, tmp_path / "f.dsb", signer_of(net.laptops["A"]), manifest)
    refused(net, forged, fragment)


def test_a_laptop_refuses_a_bundle_not_meant_for_it(net: Network) -> None:
    seed_households(net.laptops["A"], 1)
    net.apply(net.export("A"))
    bundles = net.outbox()
    for_b = bundles[net.laptops["B"].device_id][0]
    [outcome] = import_bundles(net.laptops["A"], [for_b]).outcomes
    assert outcome.status == "refused" and "不是加密给本机" in outcome.message
    assert households(net.laptops["A"]) == [f"{VILLAGE}0001"]


def test_rows_that_collide_with_existing_ones_refuse_the_bundle(net: Network) -> None:
    """Two laptops both used one household number: the second bundle is refused whole, with a
    sentence naming the clash, and the county keeps the first."""
    seed_households(net.laptops["A"], 1)
    seed_households(net.laptops["B"], 1)  # same number, another row id
    assert net.apply(net.export("A")).ok
    [bundle] = net.export("B")
    message = refused(net, bundle, "户编号重复")
    assert "UNIQUE" in message
