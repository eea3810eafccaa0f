"""Restoring: everything is checked before the database is touched, the swap is all or nothing,
and what cannot be restored says why and changes nothing. Plain and encrypted databases."""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

from desktop.cli import main
from desktop.core.backup import (
    BackupError,
    OtherDevice,
    check_backup,
    check_database,
    recover,
    restore_backup,
    swap,
    take_backup,
)
from desktop.core.backup import restore as restore_module
from desktop.core.backup.manifest import MANIFEST_NAME
from desktop.core.crypto import session
from desktop.core.crypto.keys import WrongPassphrase, key_file_path
from desktop.core.database import Database, open_database
from desktop.core.services.households import create_household
from tests.unit.backup_samples import (
    FAST_KDF,
    PASSPHRASE,
    copy_database,
    damage_page,
    digest,
    household_count,
    make_encrypted,
    make_plain,
)


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plain(tmp_path_factory.mktemp("plain") / "sample.db")


@pytest.fixture(scope="module")
def encrypted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_encrypted(tmp_path_factory.mktemp("encrypted") / "sample.db")


@pytest.fixture
def db_path(tmp_path: Path, plain_template: Path) -> Path:
    return copy_database(plain_template, tmp_path / "doorstep.db")


@pytest.fixture
def backup_file(db_path: Path, tmp_path: Path) -> Path:
    with open_database(db_path) as db:
        return take_backup(db, tmp_path / "backups").path


def add_household(db: Database, number: str) -> None:
    with db.read() as conn:
        village = conn.exec_driver_sql(
            "SELECT code FROM region WHERE level = 'village' LIMIT 1"
        ).scalar()
    with db.unit_of_work() as uow:
        create_household(
            uow, {"number": number, "village_code": village}, [{"name": "后来", "relation": "head"}]
        )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".restoring" in p.name or "journal" in p.name)


def test_restore_brings_back_the_backup_and_keeps_the_previous_copy(
    db_path: Path, backup_file: Path
) -> None:
    with open_database(db_path) as db:
        add_household(db, "LATE1")
    assert household_count(db_path) == 13
    result = restore_backup(backup_file, db_path)
    assert household_count(db_path) == 12
    assert result.previous is not None and household_count(result.previous) == 13
    assert check_database(db_path, full=True).ok
    assert leftovers(db_path.parent) == []
    with open_database(db_path) as again:  # the app opens it as usual
        assert again.device_id == result.manifest.device_id


def test_backup_of_another_laptop_is_refused_with_a_sentence(
    db_path: Path, tmp_path: Path, plain_template: Path
) -> None:
    other = make_plain(tmp_path / "other" / "doorstep.db", households=3, seed=9)
    with open_database(other) as db:
        foreign = take_backup(db, tmp_path / "other-backups").path
    before = digest(db_path)
    with pytest.raises(OtherDevice, match="另一台电脑") as refused:
        restore_backup(foreign, db_path)
    assert "--other-device" in str(refused.value)
    # Even when allowed, a sealed backup needs the backup key of the laptop that made it.
    with pytest.raises(BackupError, match="备份密钥"):
        restore_backup(foreign, db_path, allow_other_device=True)
    assert digest(db_path) == before and leftovers(db_path.parent) == []


def test_truncated_backup_is_refused_and_nothing_changes(db_path: Path, backup_file: Path) -> None:
    before = digest(db_path)
    with backup_file.open("r+b") as handle:
        handle.truncate(backup_file.stat().st_size // 2)
    with pytest.raises(BackupError, match="不是完整的"):
        check_backup(backup_file)
    with pytest.raises(BackupError, match="不是完整的"):
        restore_backup(backup_file, db_path)
    assert digest(db_path) == before and leftovers(db_path.parent) == []


def test_corrupted_payload_is_refused_and_nothing_changes(db_path: Path, backup_file: Path) -> None:
    before = digest(db_path)
    with zipfile.ZipFile(backup_file) as archive:
        offset = archive.getinfo("database.bin").header_offset + 5000
    with backup_file.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xff" * 64)
    with pytest.raises(BackupError, match="已损坏"):
        restore_backup(backup_file, db_path)
    assert digest(db_path) == before and leftovers(db_path.parent) == []


def test_a_backup_from_a_newer_version_is_refused(db_path: Path, backup_file: Path) -> None:
    with zipfile.ZipFile(backup_file) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries[MANIFEST_NAME] = entries[MANIFEST_NAME].replace(b'"0004"', b'"9999"')
    newer = backup_file.with_name("newer.dsbackup")
    with zipfile.ZipFile(newer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(BackupError, match="升级入户通"):
        restore_backup(newer, db_path)


def test_a_damaged_database_is_replaced_by_its_backup(db_path: Path, backup_file: Path) -> None:
    damage_page(db_path, 6)
    assert not check_database(db_path).ok
    result = restore_backup(backup_file, db_path)
    assert check_database(db_path, full=True).ok and household_count(db_path) == 12
    assert result.previous is not None and not check_database(result.previous).ok


def test_restored_file_that_does_not_open_puts_the_original_back(
    db_path: Path, backup_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_database(db_path) as db:
        add_household(db, "LATE2")
    before = household_count(db_path)

    def refuse(_path: Path, _key: bytes | None) -> None:
        raise RuntimeError("simulated failure while opening")

    monkeypatch.setattr(restore_module, "_prove_it_opens", refuse)
    with pytest.raises(BackupError, match="已退回到原来的数据库"):
        restore_backup(backup_file, db_path)
    assert household_count(db_path) == before == 13
    assert check_database(db_path, full=True).ok
    assert leftovers(db_path.parent) == []
    assert not list(db_path.parent.glob("*before-restore*"))


def test_a_crash_in_the_middle_of_the_swap_is_undone_at_next_start(
    db_path: Path, backup_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_database(db_path) as db:
        add_household(db, "LATE3")
    before = digest(db_path)
    real_replace = os.replace

    def crash_on_the_last_rename(source: object, target: object) -> None:
        if str(source).endswith(".restoring"):
            raise KeyboardInterrupt  # the power went out here
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(swap.os, "replace", crash_on_the_last_rename)
    with pytest.raises(KeyboardInterrupt):
        restore_backup(backup_file, db_path)
    monkeypatch.setattr(swap.os, "replace", real_replace)
    assert not db_path.exists()  # mid-swap: the database is set aside, the journal says so
    note = recover(db_path)
    assert note is not None and "退回" in note
    assert digest(db_path) == before and household_count(db_path) == 13
    assert leftovers(db_path.parent) == []
    assert recover(db_path) is None


# ---------------------------------------------------------------------------- encrypted
@pytest.fixture
def encrypted_path(tmp_path: Path, encrypted_template: Path) -> Path:
    return copy_database(encrypted_template, tmp_path / "secret.db")


def open_encrypted(path: Path) -> Database:
    return Database.open(path, passphrase=PASSPHRASE, kdf=FAST_KDF)


def test_encrypted_database_backs_up_encrypted_with_its_key_file(
    encrypted_path: Path, tmp_path: Path
) -> None:
    with open_encrypted(encrypted_path) as db:
        key = db.data_key
        with db.read() as conn:
            names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM member").fetchall()]
        result = take_backup(db, tmp_path / "backups")
    assert result.manifest.scheme == "sqlcipher" and result.manifest.households == 8
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("keys.json") == key_file_path(encrypted_path).read_bytes()
    raw = result.path.read_bytes()
    assert b"SQLite format 3" not in raw
    assert names and all(name.encode() not in raw for name in names)
    # Same laptop, key in hand: restores without asking for the passphrase.
    with open_encrypted(encrypted_path) as db:
        add_household(db, "LATE4")
    restored = restore_backup(result.path, encrypted_path, key=key)
    assert restored.key == key
    with open_encrypted(encrypted_path) as db, db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 8


def test_encrypted_backup_restores_on_a_new_laptop_with_the_passphrase(
    encrypted_path: Path, tmp_path: Path
) -> None:
    with open_encrypted(encrypted_path) as db:
        backup = take_backup(db, tmp_path / "stick").path
        device = db.device_id
    fresh = tmp_path / "new-laptop" / "doorstep.db"
    fresh.parent.mkdir()
    with pytest.raises(WrongPassphrase):
        restore_backup(backup, fresh, passphrase="不是这个密码")
    assert list(fresh.parent.iterdir()) == []
    restore_backup(backup, fresh, passphrase=PASSPHRASE)
    assert key_file_path(fresh).exists()
    with open_encrypted(fresh) as db:
        assert db.device_id == device


def test_encrypted_backup_of_another_laptop_with_permission(
    encrypted_path: Path, db_path: Path, tmp_path: Path
) -> None:
    """A replaced laptop: the old one's stick backup, allowed on purpose, opens with its
    passphrase and leaves this laptop's plain database aside."""
    with open_encrypted(encrypted_path) as db:
        backup = take_backup(db, tmp_path / "stick").path
    with pytest.raises(OtherDevice):
        restore_backup(backup, db_path, passphrase=PASSPHRASE)
    result = restore_backup(backup, db_path, passphrase=PASSPHRASE, allow_other_device=True)
    assert result.previous is not None and household_count(result.previous) == 12
    with open_encrypted(db_path) as db, db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 8


def test_plain_backup_over_an_encrypted_database_sets_its_key_file_aside(
    db_path: Path, backup_file: Path
) -> None:
    """A backup made before the database was encrypted restores to a plain database: the key
    file is set aside with the encrypted one (a stale key file would make it look encrypted)."""
    from desktop.core.crypto.manage import encrypt_existing

    encrypt_existing(db_path, PASSPHRASE, kdf=FAST_KDF)
    assert key_file_path(db_path).exists()
    result = restore_backup(backup_file, db_path)
    assert not key_file_path(db_path).exists()
    assert result.previous is not None and key_file_path(result.previous).exists()
    with open_database(db_path) as db:
        assert not db.encrypted
    assert household_count(db_path) == 12


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str, passphrase: str = PASSPHRASE) -> CliResult:
    """The ``doorstep`` command in this process, as a script runs it (DOORSTEP_PASSPHRASE set,
    no terminal to ask)."""
    monkeypatch.setenv("DOORSTEP_PASSPHRASE", passphrase)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        session.set_passphrase_source(None)  # the command installs one; leave none behind
    return CliResult(code, out.getvalue(), err.getvalue())


def test_encrypted_database_on_the_command_line(
    encrypted_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backup and restore with DOORSTEP_PASSPHRASE; a damaged encrypted database is refused
    before the command runs, with the sentence naming doorstep restore."""
    stick = tmp_path / "stick"
    made = run_cli(monkeypatch, "backup", "--db", str(encrypted_path), "-o", str(stick), "--json")
    assert made.returncode == 0, made.stderr
    backup = Path(json.loads(made.stdout)["path"])
    damage_page(encrypted_path, 3)
    refused = run_cli(monkeypatch, "villages", "--db", str(encrypted_path))
    assert refused.returncode == 1
    assert "已损坏" in refused.stderr and "doorstep restore" in refused.stderr
    restored = run_cli(monkeypatch, "restore", "--db", str(encrypted_path), str(backup))
    assert restored.returncode == 0, restored.stderr
    with open_encrypted(encrypted_path) as db:
        assert db.device_id and check_database(encrypted_path, db.data_key, full=True).ok
    wrong = run_cli(monkeypatch, "villages", "--db", str(encrypted_path), passphrase="不对的密码")
    assert wrong.returncode == 1 and "密码不对" in wrong.stderr
