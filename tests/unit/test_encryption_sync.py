"""Encrypted laptops still sync: a photo travels A → county → B, each laptop's copy sealed with
its own key, the bundle carrying clear bytes (age encrypts it), and the laptop's signing and age
keys sealed beside its encrypted database."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import text

from desktop.core.crypto.keys import KdfParams
from desktop.core.database import Database
from desktop.core.photos import PhotoStore
from desktop.sync import keys as keyring
from tests.sync.network import Network, make_network
from tests.sync.replicas import VILLAGE, seed_households
from tests.unit.test_encryption import jpeg

FAST = KdfParams(memory_kib=1024, iterations=1, lanes=1)


def encrypted_laptop(net: Network, name: str, passphrase: str) -> Database:
    db = Database.open(net.root / f"{name}.db", passphrase=passphrase, kdf=FAST)
    request = keyring.enrollment_request(db, f"干部{name}")
    from county.enrollment import enroll

    keyring.accept_certificate(db, enroll(net.county, request, [VILLAGE]))
    net.laptops[name] = db
    return db


def test_a_photo_travels_between_encrypted_laptops(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    try:
        a = encrypted_laptop(net, "A", "甲的密码123")
        b = encrypted_laptop(net, "B", "乙的密码456")
        for db in (a, b):
            raw = keyring.keys_path(db).read_bytes()
            assert raw.startswith(b"DSTPSEA1") and b"AGE-SECRET-KEY" not in raw.upper()
        [household] = seed_households(a, 1)
        camera = tmp_path / "camera"
        camera.mkdir()
        stored = PhotoStore.for_database(a.path).add(jpeg(camera, seed=11))
        clear = stored.source.read_bytes()
        with a.unit_of_work() as uow:
            visit = uow.insert("visit", {"household_id": household, "visit_date": date(2024, 3, 5)})
            uow.insert(
                "photo",
                {
                    "sha256": stored.sha256,
                    "household_id": household,
                    "owner_table": "visit",
                    "owner_id": visit,
                    "size_bytes": len(clear),
                },
            )
        report = net.apply(net.export("A"))
        assert report.ok, [o.message for o in report.outcomes]
        net.outbox()
        imported = net.deliver("B")
        assert imported.ok, [o.message for o in imported.outcomes]
        store_b = PhotoStore.for_database(b.path)
        assert store_b.read_bytes(stored.sha256) == clear
        on_disk_a = PhotoStore.for_database(a.path).path(stored.sha256).read_bytes()
        on_disk_b = store_b.path(stored.sha256).read_bytes()
        assert on_disk_a != on_disk_b  # each laptop seals with its own key
        assert (
            clear[1000:1064] not in on_disk_b
            and hashlib.sha256(on_disk_b).hexdigest() != stored.sha256
        )
        with b.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM photo")).scalar() == 1
        work = list((tmp_path / "net").rglob("*payload*"))
        assert work == []  # the decrypted payload left nothing behind
        assert keyring.device_keys(b).device_id == b.device_id  # B's sealed key file opens
    finally:
        net.close()


def test_encrypting_an_enrolled_laptop_seals_its_device_keys(tmp_path: Path) -> None:
    from desktop.core.crypto.manage import encrypt_existing
    from desktop.core.database import open_database

    path = tmp_path / "laptop.db"
    db = open_database(path)
    before = keyring.device_keys(db)
    db.close()
    assert b"AGE-SECRET-KEY" in keyring.keys_path(db).read_bytes()
    encrypt_existing(path, "加密后的密码", kdf=FAST)
    raw = keyring.keys_path(db).read_bytes()
    assert raw.startswith(b"DSTPSEA1") and b"AGE-SECRET-KEY" not in raw
    assert keyring.keys_path(db).stat().st_mode & 0o077 == 0
    with open_database(path, passphrase="加密后的密码") as reopened:
        after = keyring.device_keys(reopened, create=False)
    assert after.age_identity == before.age_identity
    assert after.signing_public == before.signing_public
