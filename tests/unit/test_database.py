"""Opening, pragmas, file checks, migrations and backups of the laptop's database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import desktop.core.models as models
from desktop.core.database import Database, open_database
from desktop.core.db import APPLICATION_ID, DatabaseError
from desktop.core.migrate import alembic_config, current_revision, head_revision


def test_new_database_has_pragmas_and_identity(db: Database) -> None:
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID
    assert len(db.device_id) == 36
    assert current_revision(db.engine) == head_revision()


def test_models_and_latest_migration_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    not (type_ == "table" and name and name.startswith("search_"))
                )
            },
        )
        diff = compare_metadata(context, models.metadata)
    assert diff == []


def test_device_identity_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with open_database(path) as first:
        device = first.device_id
    with open_database(path) as second:
        assert second.device_id == device


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(DatabaseError, match="不是入户通数据库"):
        open_database(path)
    assert path.read_text(encoding="utf-8") == "这不是数据库"


def test_refuses_another_programs_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id=12345")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="其他程序"):
        open_database(path)


def test_missing_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="找不到"):
        open_database(tmp_path / "nope.db", create=False)


def test_migrating_an_existing_database_takes_a_backup_first(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with open_database(path) as db:
        with db.unit_of_work() as uow:
            uow.insert("region", {"code": "520102002001", "name": "老村", "level": "village"})
        # Simulate a database made before the newest revision: step back to an empty schema
        # holding a marker row, then reopen and let the automatic upgrade run.
        command.downgrade(alembic_config(db.engine), "base")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE legacy_marker (x)")
            conn.exec_driver_sql("INSERT INTO legacy_marker VALUES (42)")
            conn.commit()
    with open_database(path) as reopened:
        assert reopened.last_backup is not None and reopened.last_backup.exists()
        assert current_revision(reopened.engine) == head_revision()
    backup = sqlite3.connect(reopened.last_backup)
    assert backup.execute("SELECT x FROM legacy_marker").fetchone() == (42,)
    backup.close()


def test_second_open_of_current_database_takes_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    open_database(path).close()
    with open_database(path) as again:
        assert again.last_backup is None


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from desktop.core.migrate import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_a_database_made_by_the_previous_schema_upgrades_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "previous.db"
    with open_database(path) as db:
        with db.unit_of_work(cadre="旧版") as uow:
            uow.insert("region", {"code": "520102002001", "name": "老村", "level": "village"})
        command.downgrade(alembic_config(db.engine), "-1")
        assert current_revision(db.engine) != head_revision()
    with open_database(path) as reopened:
        assert current_revision(reopened.engine) == head_revision()
        assert reopened.last_backup is not None
        with reopened.read() as conn:
            assert conn.exec_driver_sql("SELECT name FROM region").scalar() == "老村"
            assert conn.exec_driver_sql("SELECT cadre FROM change_log").scalar() == "旧版"
