"""Taking backups: consistent while the app writes, encrypted, verified, pruned, and refused (with
nothing lost) when the disk is full or the database is damaged. Real files, real SQLite."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from desktop.cli import main
from desktop.core.backup import (
    BackupError,
    check_backup,
    check_database,
    container,
    list_backups,
    restore_backup,
    store,
    take_backup,
)
from desktop.core.backup.manifest import PAYLOAD_NAME
from desktop.core.backup.take import backup_if_due
from desktop.core.crypto import session
from desktop.core.database import open_database
from desktop.core.migrate import HEAD_REVISION
from desktop.core.services.households import create_household
from tests.unit.backup_samples import (
    copy_database,
    damage_page,
    digest,
    household_count,
    make_plain,
)


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plain(tmp_path_factory.mktemp("template") / "sample.db")


@pytest.fixture
def db_path(tmp_path: Path, template: Path) -> Path:
    return copy_database(template, tmp_path / "doorstep.db")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def head_names(path: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT head_name FROM household ORDER BY id")]
    finally:
        conn.close()


def test_backup_describes_itself_and_hides_the_data(db_path: Path, folder: Path) -> None:
    with open_database(db_path) as db:
        device = db.device_id
        result = take_backup(db, folder)
    manifest = result.manifest
    assert result.path.parent == folder and result.path.name.endswith(".dsbackup")
    assert manifest.device_id == device
    assert manifest.schema_revision == HEAD_REVISION
    assert manifest.households == 12 and manifest.kind == "manual"
    assert manifest.scheme == "sealed"
    assert manifest.database_size == db_path.stat().st_size
    assert datetime.fromisoformat(manifest.created_at).tzinfo is not None
    # The manifest alone is readable (any zip tool lists the file); the data is not.
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(archive.namelist()) == ["database.bin", "manifest.json"]
        listed = json.loads(archive.read("manifest.json"))
    assert listed["format"] == "doorstep-backup" and listed["payload_sha256"]
    raw = result.path.read_bytes()
    names = [name for name in head_names(db_path) if name]
    assert names and all(name.encode("utf-8") not in raw for name in names)
    assert b"SQLite format 3" not in raw
    assert check_backup(result.path) == manifest
    assert [entry.path for entry in list_backups(folder, device)] == [result.path]


def test_backup_while_another_connection_writes(db_path: Path, folder: Path) -> None:
    """The copy is one commit's state: every household in it has its change-log entry."""
    writer = open_database(db_path)
    reader = open_database(db_path)
    stop = threading.Event()
    written: list[int] = []
    with writer.read() as conn:
        village = conn.exec_driver_sql(
            "SELECT code FROM region WHERE level = 'village' LIMIT 1"
        ).scalar()

    def keep_writing() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            with writer.unit_of_work(cadre="并发") as uow:
                create_household(
                    uow,
                    {"number": f"W{number:05d}", "village_code": village},
                    [{"name": f"写入{number}", "relation": "head"}],
                )
            written.append(number)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(written) < 3:
            stop.wait(0.01)
        result = take_backup(reader, folder)
        during = len(written)
    finally:
        stop.set()
        thread.join()
        reader.close()
        writer.close()
    assert during >= 3 and len(written) > 3
    restored = folder.parent / "restored.db"
    shutil.copy(
        db_path.with_name(db_path.name + ".backup-key.json"),
        restored.with_name(restored.name + ".backup-key.json"),
    )
    restore_backup(result.path, restored)
    import sqlite3

    conn = sqlite3.connect(restored)
    try:
        copied = conn.execute("SELECT count(*) FROM household WHERE number LIKE 'W%'").fetchone()[0]
        logged = conn.execute(
            "SELECT count(DISTINCT row_id) FROM change_log WHERE tbl = 'household' AND op = 'insert'"
            " AND row_id IN (SELECT id FROM household WHERE number LIKE 'W%')"
        ).fetchone()[0]
    finally:
        conn.close()
    assert 1 <= copied <= len(written)
    assert logged == copied  # rows and their change log were copied from the same commit
    assert result.manifest.households == 12 + copied
    assert check_database(restored, full=True).ok


def test_daily_backup_once_a_day_and_pruned_after_n_days(
    db_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 11, 28, 9, 0).astimezone()
    clock = {"now": now}
    monkeypatch.setattr(store, "now_local", lambda: clock["now"])
    store.set_keep_days(14)
    pruned: list[Path] = []
    with open_database(db_path) as db:
        device = db.device_id
        for days_ago in (30, 20, 16, 15, 13, 5, 1):
            clock["now"] = now - timedelta(days=days_ago)
            taken = backup_if_due(db, folder)
            assert taken is not None
            pruned += taken.pruned
        old_manual = take_backup(db, folder, "manual")  # 1 day ago too: never pruned
        clock["now"] = now
        assert store.daily_due(folder, device, now)
        result = backup_if_due(db, folder)
        assert result is not None
        pruned += result.pruned
        assert backup_if_due(db, folder) is None  # the same day: nothing more
    kept = [entry.manifest for entry in list_backups(folder, device) if entry.manifest]
    ages = sorted((now - m.created).days for m in kept if m.kind == "daily")
    assert ages == [0, 1, 5, 13]  # within 14 days; 15, 16, 20 and 30 days old were removed
    assert {path.name for path in pruned} == {
        store.file_name(now - timedelta(days=d), device, "daily") for d in (15, 16, 20, 30)
    }
    assert old_manual.path.exists()


def test_pruning_never_leaves_fewer_than_three(
    db_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A laptop left in a drawer for two months still has backups when it is opened again."""
    now = datetime(2026, 11, 28, 9, 0).astimezone()
    clock = {"now": now}
    monkeypatch.setattr(store, "now_local", lambda: clock["now"])
    store.set_keep_days(14)
    with open_database(db_path) as db:
        for days_ago in (90, 80, 70, 60):
            clock["now"] = now - timedelta(days=days_ago)
            backup_if_due(db, folder)
        clock["now"] = now
        backup_if_due(db, folder)
        device = db.device_id
    ages = [(now - e.manifest.created).days for e in list_backups(folder, device) if e.manifest]
    assert ages == [0, 60, 70]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1.6 MB filesystem (tmpfs); skipped where mounting is not allowed."""
    mount = tmp_path / "stick"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1600k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_keeps_earlier_backups_and_the_database(
    db_path: Path, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_database(db_path) as db:
        first = take_backup(db, tiny_disk)  # ~1 MB: fits
        before = digest(first.path)
        # The free-space estimate says no before writing anything:
        with pytest.raises(BackupError, match="空间不足"):
            take_backup(db, tiny_disk)
        # A stick that reports free space wrongly: the write itself meets ENOSPC.
        monkeypatch.setattr(container, "free_space", lambda _folder: 1 << 40)
        with pytest.raises(BackupError, match="空间不足") as caught:
            take_backup(db, tiny_disk)
        assert isinstance(caught.value.__cause__, OSError)
        assert caught.value.__cause__.errno == errno.ENOSPC
        households = db.device_id and household_count(db_path)
    assert sorted(p.name for p in tiny_disk.iterdir()) == [first.path.name]  # no partial file
    assert digest(first.path) == before and check_backup(first.path)
    assert household_count(db_path) == households == 12
    assert check_database(db_path).ok
    assert not list(db_path.parent.glob("*.backup-snapshot*"))


def test_damaged_database_is_not_backed_up(db_path: Path, folder: Path) -> None:
    with open_database(db_path) as db:
        good = take_backup(db, folder)
    damage_page(db_path, 6)
    report = check_database(db_path)
    assert not report.ok and report.problems
    with open_database(db_path) as db, pytest.raises(BackupError, match="已损坏"):
        take_backup(db, folder)
    assert [entry.path for entry in list_backups(folder)] == [good.path]


def run_cli(*args: str) -> CliResult:
    """The ``doorstep`` command in this process (the same code as the installed entry point)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        session.set_passphrase_source(None)  # the command installs one; leave none behind
    return CliResult(code, out.getvalue(), err.getvalue())


def test_commands_refuse_a_damaged_database_naming_restore(db_path: Path) -> None:
    assert run_cli("villages", "--db", str(db_path)).returncode == 0
    damage_page(db_path, 6)
    before = digest(db_path)
    result = run_cli("check", "--db", str(db_path))
    assert result.returncode == 1
    assert "已损坏" in result.stderr and "doorstep restore" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert digest(db_path) == before


def test_backup_and_restore_commands(db_path: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    made = run_cli("backup", "--db", str(db_path), "-o", str(stick), "--json")
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    path = Path(report["path"])
    assert report["manifest"]["households"] == 12 and path.exists()
    listed = run_cli("restore", "--db", str(db_path), "--list", "--from", str(stick), "--json")
    assert [Path(e["path"]) for e in json.loads(listed.stdout)] == [path]
    plain = run_cli("restore", "--db", str(db_path), "--list", "--from", str(stick))
    assert "12 户" in plain.stdout
    with open_database(db_path) as db:
        with db.read() as conn:
            village = conn.exec_driver_sql(
                "SELECT code FROM region WHERE level = 'village' LIMIT 1"
            ).scalar()
        with db.unit_of_work() as uow:
            create_household(
                uow,
                {"number": "X1", "village_code": village},
                [{"name": "新户", "relation": "head"}],
            )
    assert household_count(db_path) == 13
    restored = run_cli("restore", "--db", str(db_path), str(path))
    assert restored.returncode == 0, restored.stderr
    assert "已从" in restored.stdout
    assert household_count(db_path) == 12
    nothing = run_cli("restore", "--db", str(db_path))
    assert nothing.returncode == 1 and "--list" in nothing.stderr


def test_payload_damage_is_found_when_reading_back(db_path: Path, folder: Path) -> None:
    with open_database(db_path) as db:
        result = take_backup(db, folder)
    with zipfile.ZipFile(result.path) as archive:
        offset = archive.getinfo(PAYLOAD_NAME).header_offset + 200_000
    with result.path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"\x00" * 16)
    with pytest.raises(BackupError, match="已损坏"):
        check_backup(result.path)


def test_a_cancelled_backup_leaves_no_file(db_path: Path, folder: Path) -> None:
    seen: list[str] = []

    def progress(_done: int, _total: int, text: str) -> None:
        seen.append(text)

    with open_database(db_path) as db, pytest.raises(BackupError, match="已取消"):
        take_backup(db, folder, progress=progress, cancel=lambda: "正在加密写入备份…" in seen)
    assert list(folder.iterdir()) == []
    assert not list(db_path.parent.glob("*.backup-snapshot*"))


def test_half_written_files_from_a_crash_are_cleaned_up(db_path: Path, folder: Path) -> None:
    folder.mkdir()
    stale = folder / "doorstep-20260101-000000-aaaaaaaa-daily.dsbackup.partial"
    fresh = folder / "doorstep-20260101-000001-aaaaaaaa-daily.dsbackup.partial"
    for path in (stale, fresh):
        path.write_bytes(b"half")
    os.utime(stale, (0, 0))
    with open_database(db_path) as db:
        take_backup(db, folder)
    assert not stale.exists() and fresh.exists()  # a fresh one may be another writer's
    assert len(list_backups(folder)) == 1
