"""The setup marker beside the database: what it says, and what a fresh start removes."""

from __future__ import annotations

from pathlib import Path

from desktop.ui.first_run.setup_state import (
    SetupState,
    finish_setup,
    load_setup,
    needs_first_run,
    remove_database,
    save_setup,
    setup_file,
)


def test_the_marker_round_trips_and_holds_no_secret(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    state = SetupState(str(db), mode="online", stage="enrolled", cadre="张三", server="http://x")
    save_setup(state)
    loaded = load_setup(db)
    assert loaded == state
    text = setup_file(db).read_text(encoding="utf-8")
    assert "passphrase" not in text and "enroll_code" not in text
    db.write_bytes(b"x")
    assert needs_first_run(db)  # the database exists but its setup never finished
    finish_setup(db)
    assert load_setup(db) is None and not needs_first_run(db)


def test_a_damaged_or_unknown_marker_means_start_again(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    setup_file(db).write_text("{half", encoding="utf-8")
    assert load_setup(db) is None
    setup_file(db).write_text('{"stage": "launched", "mode": "stick"}', encoding="utf-8")
    assert load_setup(db) is None
    setup_file(db).write_text('{"stage": "start", "mode": "teleport"}', encoding="utf-8")
    assert load_setup(db) is None


def test_removing_a_half_made_database_keeps_backups_and_other_files(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    doomed = [
        db,
        tmp_path / "doorstep.db-wal",
        tmp_path / "doorstep.db.keys.json",
        tmp_path / "doorstep.db.cipher.json",
    ]
    for path in doomed:
        path.write_bytes(b"x")
    (tmp_path / "doorstep.db.outbox").mkdir()
    (tmp_path / "doorstep-photos").mkdir()
    kept = [
        tmp_path / "doorstep.pre-0002-20261128.bak",
        tmp_path / "demo.db",
        tmp_path / "notes.txt",
    ]
    for path in kept:
        path.write_bytes(b"x")
    save_setup(SetupState(str(db)))
    remove_database(db)
    assert not any(p.exists() for p in doomed)
    assert not (tmp_path / "doorstep.db.outbox").exists()
    assert not (tmp_path / "doorstep-photos").exists()
    assert all(p.exists() for p in kept)
    assert setup_file(db).exists()  # the marker stays: setup is still unfinished
