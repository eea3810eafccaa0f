"""Encryption at rest: a lost laptop's files say nothing without the passphrase.

Real SQLCipher files, real Argon2id (cheap parameters except where the default is the point),
real JPEGs through the real photo store. The raw-bytes checks have a plain-database twin that
must find the same strings, so they cannot pass by looking in the wrong place.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from desktop.core.crypto import keys, session
from desktop.core.crypto.files import CHUNK, FileCipher, SealedFileError
from desktop.core.crypto.keys import DatabaseLocked, KdfParams, KeyFileError, WrongPassphrase
from desktop.core.crypto.manage import (
    change_passphrase,
    create_encrypted,
    encrypt_existing,
    encrypting_path,
)
from desktop.core.database import Database, open_database
from desktop.core.db import DatabaseError, backup_copy, connect_raw
from desktop.core.photos import PhotoStore, store_dir
from desktop.core.search import search
from desktop.core.services.households import create_household
from desktop.core.services.visits import attach_photo, record_visit

FAST = KdfParams(memory_kib=1024, iterations=1, lanes=1)  # the real KDF, cheap for tests
PASS = "山高路远123"
NAME = "欧阳春燕"
PINYIN = b"ouyangchunyan"


def id_number(body: str = "52010219850314002") -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


ID = id_number()
PHONE = "13907551234"


def jpeg(tmp: Path, seed: int = 7) -> Path:
    """A real, noisy JPEG (noise: its bytes cannot appear anywhere by chance)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (640, 480))
    img.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(640 * 480)]
    )
    path = tmp / f"photo-{seed}.jpg"
    img.save(path, "JPEG", quality=90)
    return path


def seed_regions(db: Database) -> str:
    with db.unit_of_work(cadre="测试员") as uow:
        uow.insert_many(
            "region",
            [
                {"code": "520102000000", "name": "示范县", "level": "county"},
                {
                    "code": "520102001000",
                    "name": "红岩镇",
                    "level": "township",
                    "parent_code": "520102000000",
                },
                {
                    "code": "520102001001",
                    "name": "新寨村",
                    "level": "village",
                    "parent_code": "520102001000",
                },
            ],
        )
    return "520102001001"


def write_household_with_photo(db: Database, tmp: Path) -> tuple[str, bytes]:
    """A household whose head has NAME, ID and PHONE, and a visit photo; returns (sha, bytes)."""
    village = seed_regions(db)
    stored = PhotoStore.for_database(db.path).add(jpeg(tmp))
    with db.unit_of_work(cadre="测试员") as uow:
        household = create_household(
            uow,
            {"number": "H0001", "village_code": village, "phone": PHONE},
            [{"name": NAME, "relation": "head", "id_number": ID}],
        )
        visit = record_visit(uow, household, {"visit_date": date(2024, 3, 5)})
        attach_photo(uow, household, "visit", visit, {"sha256": stored.sha256, "caption": "门前"})
    return stored.sha256, stored.source.read_bytes()


def raw_files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def secrets_in(data: bytes, photo: bytes, thumb: bytes) -> list[str]:
    found = []
    for label, needle in (
        ("name", NAME.encode("utf-8")),
        ("name (pinyin)", PINYIN),
        ("ID number", ID.encode()),
        ("ID fragment", ID[6:14].encode()),
        ("phone", PHONE.encode()),
        ("photo bytes", photo[len(photo) // 2 : len(photo) // 2 + 48]),
        ("photo start", photo[:64]),
        ("thumbnail bytes", thumb[len(thumb) // 2 : len(thumb) // 2 + 48]),
    ):
        if needle in data:
            found.append(label)
    return found


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(b).hexdigest()
        for p, b in raw_files(folder).items()
    }


# ---------------------------------------------------------------------------- the lost laptop
@pytest.mark.parametrize("encrypted", [True, False])
def test_raw_files_hold_no_name_id_or_photo_in_clear(tmp_path: Path, encrypted: bool) -> None:
    """The encrypted laptop's files (database, -wal, key file, photos, thumbnails) hold none
    of it; the plain twin holds all of it, which proves the search looks where the data is."""
    folder = tmp_path / "laptop"
    source = tmp_path / "camera"
    source.mkdir()
    db = open_database(folder / "doorstep.db", passphrase=PASS if encrypted else None)
    if encrypted:
        db.close()  # a second open goes through the key file with the stored parameters
        db = open_database(folder / "doorstep.db", passphrase=PASS)
    try:
        sha, photo = write_household_with_photo(db, source)
        store = PhotoStore.for_database(db.path)
        thumb = store.thumbnail_bytes(sha)
        assert thumb is not None and store.read_bytes(sha) == photo
        assert search(db, NAME)[0].head_name == NAME  # the data is really there
        assert search(db, "oycy")[0].head_name == NAME
        files = raw_files(folder)
        assert Path(f"{db.path}-wal") in files  # the log is looked at while it holds the writes
        with_secrets = {p.name: secrets_in(b, photo, thumb) for p, b in files.items()}
    finally:
        db.close()
    after_close = {p.name: secrets_in(b, photo, thumb) for p, b in raw_files(folder).items()}
    if encrypted:
        assert {k: v for k, v in with_secrets.items() if v} == {}
        assert {k: v for k, v in after_close.items() if v} == {}
        assert keys.key_file_path(folder / "doorstep.db").exists()
        assert not (folder / "doorstep.db").read_bytes().startswith(b"SQLite format 3")
    else:
        everything = {label for found in with_secrets.values() for label in found}
        assert {"name", "ID number", "phone", "photo bytes", "thumbnail bytes"} <= everything


def test_the_key_file_uses_argon2id_with_the_default_cost(tmp_path: Path) -> None:
    db = create_encrypted(tmp_path / "doorstep.db", PASS)
    db.close()
    content = json.loads(keys.key_file_path(tmp_path / "doorstep.db").read_text())
    assert content["kdf"]["name"] == "argon2id" and content["kdf"]["memory_kib"] == 65536
    assert content["aead"] == "aes-256-gcm" and content["version"] == 1
    assert PASS not in json.dumps(content, ensure_ascii=False)


# ---------------------------------------------------------------------------- passphrases
def test_wrong_or_missing_passphrase_touches_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "laptop"
    db = Database.open(folder / "doorstep.db", passphrase=PASS, kdf=FAST)
    sha, _photo = write_household_with_photo(db, tmp_path)
    db.close()
    before = digests(folder)
    with pytest.raises(WrongPassphrase) as wrong:
        open_database(folder / "doorstep.db", passphrase="不是这个密码")
    assert str(wrong.value) == "密码不对，数据库没有打开，也没有任何改动。"
    with pytest.raises(DatabaseLocked, match="已加密，需要输入密码"):
        open_database(folder / "doorstep.db")
    with pytest.raises(DatabaseLocked):
        PhotoStore.for_database(folder / "doorstep.db")  # locked: no key, no photos
    with pytest.raises(WrongPassphrase):
        change_passphrase(folder / "doorstep.db", "不是这个密码", "另一个新密码")
    with pytest.raises(DatabaseError):  # a raw key that is not this database's
        open_database(folder / "doorstep.db", key=bytes(32))
    assert digests(folder) == before  # not a byte changed, no file added or removed
    # the right one still opens, and the data and the photo are there
    with open_database(folder / "doorstep.db", passphrase=PASS) as again:
        assert PhotoStore.for_database(again.path).has(sha)
        assert search(again, NAME)[0].head_name == NAME


def test_changing_the_passphrase_rewraps_and_leaves_the_data_alone(tmp_path: Path) -> None:
    folder = tmp_path / "laptop"
    path = folder / "doorstep.db"
    db = Database.open(path, passphrase=PASS, kdf=FAST)
    sha, photo = write_household_with_photo(db, tmp_path)
    db.close()
    before = digests(folder)
    change_passphrase(path, PASS, "新的密码456", kdf=FAST)
    after = digests(folder)
    key_name = keys.key_file_path(path).name
    assert after.pop(key_name) != before.pop(key_name)
    assert after == before  # database and photo files: byte for byte the same
    with pytest.raises(WrongPassphrase):
        open_database(path, passphrase=PASS)
    with open_database(path, passphrase="新的密码456") as reopened:
        assert PhotoStore.for_database(path).read_bytes(sha) == photo
        assert search(reopened, ID)[0].head_name == NAME


def test_new_passphrases_must_have_some_length(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="至少要有 6 个字符"):
        create_encrypted(tmp_path / "doorstep.db", "12345")
    assert list(tmp_path.iterdir()) == []
    db = Database.open(tmp_path / "doorstep.db", passphrase=PASS, kdf=FAST)
    db.close()
    with pytest.raises(KeyFileError):
        change_passphrase(tmp_path / "doorstep.db", PASS, "短")


def test_a_passphrase_is_the_same_in_composed_and_decomposed_unicode(tmp_path: Path) -> None:
    composed, decomposed = "Café-密码-2024", "Cafe\u0301-密码-2024"
    Database.open(tmp_path / "doorstep.db", passphrase=composed, kdf=FAST).close()
    open_database(tmp_path / "doorstep.db", passphrase=decomposed).close()


def test_a_tampered_key_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.db"
    Database.open(path, passphrase=PASS, kdf=FAST).close()
    key_file = keys.key_file_path(path)
    original = json.loads(key_file.read_text())
    for change, message in (
        ({"kdf": {**original["kdf"], "memory_kib": 1 << 40}}, "已损坏"),
        ({"kdf": {**original["kdf"], "iterations": 2}}, "密码不对"),  # AAD: params are bound
        ({"format": "something-else"}, "不是入户通的密钥文件"),
        ({"version": 9}, "版本太新"),
        ({"wrapped_key": "%%%"}, "已损坏"),
    ):
        key_file.write_text(json.dumps({**original, **change}))
        with pytest.raises(KeyFileError, match=message):
            open_database(path, passphrase=PASS)
    key_file.write_text("{not json")
    with pytest.raises(KeyFileError, match="已损坏"):
        open_database(path, passphrase=PASS)
    key_file.write_text(json.dumps(original))
    open_database(path, passphrase=PASS).close()


def test_plain_and_encrypted_files_are_told_apart(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    open_database(plain).close()
    with pytest.raises(DatabaseError, match="没有加密"):
        open_database(plain, passphrase=PASS)
    encrypted = tmp_path / "secret.db"
    Database.open(encrypted, passphrase=PASS, kdf=FAST).close()
    keys.key_file_path(encrypted).rename(tmp_path / "elsewhere.json")
    with pytest.raises(DatabaseError, match="缺少密钥文件 secret.db.cipher.json"):
        open_database(encrypted)
    (tmp_path / "elsewhere.json").rename(keys.key_file_path(encrypted))
    open_database(encrypted, passphrase=PASS).close()
    open_database(plain).close()  # a plain database keeps opening without any passphrase


def test_a_backup_copy_of_an_encrypted_database_is_encrypted_and_opens(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.db"
    db = Database.open(path, passphrase=PASS, kdf=FAST)
    seed_regions(db)
    copy = backup_copy(path, "test", db.data_key)
    db.close()
    assert not copy.read_bytes().startswith(b"SQLite format 3")
    assert NAME.encode() not in copy.read_bytes() and "新寨村".encode() not in copy.read_bytes()
    with open_database(copy, passphrase=PASS) as restored, restored.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM region")).scalar() == 3


def test_connect_raw_proves_the_key_first(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.db"
    db = Database.open(path, passphrase=PASS, kdf=FAST)
    data_key = db.data_key
    db.close()
    assert data_key is not None and session.key_for(path) is None  # forgotten on close
    conn = connect_raw(path, data_key)
    assert conn.execute("SELECT count(*) FROM device_state").fetchone() == (1,)
    conn.close()
    with pytest.raises(DatabaseError, match="无法用这把密钥打开"):
        connect_raw(path, bytes(32))
    with pytest.raises(Exception, match="not a database|file is encrypted"):
        connect_raw(path).execute("SELECT count(*) FROM device_state").fetchone()


# ---------------------------------------------------------------------------- encrypting later
def test_encrypt_existing_converts_database_and_photos(tmp_path: Path) -> None:
    folder = tmp_path / "laptop"
    path = folder / "doorstep.db"
    db = open_database(path)
    sha, photo = write_household_with_photo(db, tmp_path)
    thumb = PhotoStore.for_database(path).thumbnail_bytes(sha)
    assert thumb is not None
    backup_copy(path, "old")  # an earlier plain backup: reported, not silently left
    db.close()
    result = encrypt_existing(path, PASS, kdf=FAST)
    assert result.photos_sealed == 2 and not result.already_encrypted
    assert [p.name for p in result.plain_copies] == [
        p.name for p in folder.glob("doorstep.old-*.bak")
    ]
    for copy in result.plain_copies:
        copy.unlink()
    leaks = {p.name: secrets_in(b, photo, thumb) for p, b in raw_files(folder).items()}
    assert {k: v for k, v in leaks.items() if v} == {}
    assert not encrypting_path(path).exists() and not list(folder.glob("*before-encrypt*"))
    with open_database(path, passphrase=PASS) as reopened:
        assert search(reopened, NAME)[0].head_name == NAME
        assert search(reopened, PHONE[-4:])[0].head_name == NAME
        assert PhotoStore.for_database(path).read_bytes(sha) == photo
        with reopened.unit_of_work() as uow:  # still writable, guards and triggers in place
            uow.insert(
                "region",
                {
                    "code": "520102001002",
                    "name": "老寨村",
                    "level": "village",
                    "parent_code": "520102001000",
                },
            )
    again = encrypt_existing(path, PASS, kdf=FAST)
    assert again.already_encrypted and again.photos_sealed == 0


def test_an_interrupted_encryption_is_finished_by_running_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop between writing the key file and swapping the files in (the one window where
    the two disagree) loses nothing: opening says what to do, and doing it finishes the job."""
    from desktop.core.crypto import manage

    path = tmp_path / "doorstep.db"
    db = open_database(path)
    write_household_with_photo(db, tmp_path)
    db.close()

    def power_cut(_path: Path, _key: bytes) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(manage, "_finish_swap", power_cut)
    with pytest.raises(OSError):
        encrypt_existing(path, PASS, kdf=FAST)
    monkeypatch.undo()
    assert keys.is_encrypted(path) and encrypting_path(path).exists()
    with pytest.raises(DatabaseError, match="请再运行一次“doorstep encrypt”"):
        open_database(path, passphrase=PASS)
    with pytest.raises(WrongPassphrase):
        encrypt_existing(path, "不是这个密码", kdf=FAST)
    result = encrypt_existing(path, PASS, kdf=FAST)
    assert result.photos_sealed == 2
    with open_database(path, passphrase=PASS) as reopened:
        assert search(reopened, NAME)[0].head_name == NAME


def test_encrypting_a_database_in_use_is_refused(tmp_path: Path) -> None:
    """Another process (the app) in the middle of a save: refused with a sentence, nothing
    changed. (Within one process the caller closes its Database first: SQLite's locks do not
    reach across the two SQLite libraries loaded there, sqlite3's and SQLCipher's.)"""
    path = tmp_path / "doorstep.db"
    db = open_database(path)
    seed_regions(db)
    db.close()
    before = digests(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('BEGIN IMMEDIATE'); c.execute(\"UPDATE device_state SET cadre = 'x'\"); "
            "print('ready', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseError, match="正被入户通使用"):
            encrypt_existing(path, PASS, kdf=FAST)
    finally:
        holder.communicate("", timeout=30)
    assert not keys.is_encrypted(path) and not encrypting_path(path).exists()
    assert digests(tmp_path) == before


# ---------------------------------------------------------------------------- sealed files
@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_sealed_files_round_trip_and_seek(size: int) -> None:
    cipher = FileCipher(bytes(range(32)))
    data = random.Random(size).randbytes(size)
    sealed = cipher.seal_bytes(data)
    assert cipher.open_bytes(sealed) == data
    with cipher.opener(io.BytesIO(sealed)) as reader:
        reader.seek(size // 2)
        assert reader.read(100) == data[size // 2 : size // 2 + 100]
        reader.seek(-min(size, 5), io.SEEK_END)
        assert reader.read() == data[size - min(size, 5) :]


def test_sealed_files_refuse_damage_truncation_reordering_and_other_keys() -> None:
    cipher = FileCipher(bytes(32))
    data = random.Random(1).randbytes(3 * CHUNK + 5)
    sealed = cipher.seal_bytes(data)
    header, chunk = 24, CHUNK + 16
    flipped = bytearray(sealed)
    flipped[header + 100] ^= 1
    chunks = [sealed[header + i * chunk : header + (i + 1) * chunk] for i in range(4)]
    for bad in (
        bytes(flipped),
        sealed[: header + 3 * chunk],  # cut at a chunk boundary: the new last is not "last"
        sealed[:-1],
        sealed[:header] + chunks[1] + chunks[0] + chunks[2] + chunks[3],
        sealed[:10],
    ):
        with pytest.raises(SealedFileError):
            cipher.open_bytes(bad)
    with pytest.raises(SealedFileError, match="不是用这个数据库的密钥加密的"):
        FileCipher(bytes([1] * 32)).open_bytes(sealed, "x.jpg")


def test_a_ten_megabyte_photo_streams_through_the_store(tmp_path: Path) -> None:
    """A large photo is written and read in chunks; the stored file is its size plus 16 bytes
    per 64 KiB, and reading it back gives the very same bytes."""
    path = tmp_path / "doorstep.db"
    db = Database.open(path, passphrase=PASS, kdf=FAST)
    try:
        store = PhotoStore.for_database(path)
        content = random.Random(3).randbytes(10 * 1024 * 1024)
        sha = hashlib.sha256(content).hexdigest()
        with store.writer(store.path(sha)) as out:
            for start in range(0, len(content), 1 << 20):
                out.write(content[start : start + (1 << 20)])
        stored = store.path(sha).stat().st_size
        assert stored == 24 + len(content) + 16 * -(-len(content) // CHUNK)
        digest = hashlib.sha256()
        with store.open(sha) as handle:
            while piece := handle.read(1 << 20):
                digest.update(piece)
        assert digest.hexdigest() == sha
        assert content[5_000_000:5_000_064] not in store.path(sha).read_bytes()
    finally:
        db.close()
    assert store_dir(path).exists()


def test_the_ledger_prints_a_photo_sealed_beside_an_encrypted_database(tmp_path: Path) -> None:
    """The household book reads the sealed photo through the store: the picture is on the
    page (pdfimages lists it), not "照片缺失"."""
    from desktop.ledger.village_ledger import print_household

    db = Database.open(tmp_path / "laptop" / "doorstep.db", passphrase=PASS, kdf=FAST)
    try:
        write_household_with_photo(db, tmp_path)
        out = print_household(db, "H0001", tmp_path / "ledger.pdf")
    finally:
        db.close()
    listed = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert len(listed.strip().splitlines()) >= 3  # two heading lines, then one per image
    words = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "照片缺失" not in words and "照片无法读取" not in words and "门前" in words
