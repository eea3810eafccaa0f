"""Installing a new version over an old one keeps the data.

The fixture was made by the previous version's own code (tests/fixtures/README.md says how), so
this is the file a cadre's laptop really holds, not one rebuilt by today's models.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from desktop.core.backup import check_database
from desktop.core.database import open_database
from desktop.core.db import DatabaseError
from desktop.core.migrate import HEAD_REVISION, current_revision
from tests.unit.backup_samples import damage_page, digest

FIXTURE = Path(__file__).parents[1] / "fixtures" / "schema-0003-demo12.db.gz"
PREVIOUS = "0003"


@pytest.fixture
def previous_db(tmp_path: Path) -> Path:
    path = tmp_path / "doorstep.db"
    with gzip.open(FIXTURE) as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)
    return path


def snapshot(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        return {
            "revision": conn.execute("SELECT version_num FROM alembic_version").fetchone()[0],
            "device": conn.execute("SELECT device_id, next_seq FROM device_state").fetchone(),
            "households": conn.execute(
                "SELECT id, number, head_name, size, status FROM household ORDER BY id"
            ).fetchall(),
            "members": conn.execute(
                "SELECT id, name, id_number FROM member ORDER BY id"
            ).fetchall(),
            "visits": conn.execute("SELECT count(*) FROM visit").fetchone()[0],
            "changes": conn.execute(
                "SELECT change_id, hlc, value FROM change_log ORDER BY change_id"
            ).fetchall(),
        }
    finally:
        conn.close()


def test_database_of_the_previous_version_upgrades_keeping_its_data(previous_db: Path) -> None:
    before = snapshot(previous_db)
    assert before["revision"] == PREVIOUS and len(before["households"]) == 12  # type: ignore[arg-type]
    with open_database(previous_db) as db:
        assert current_revision(db.engine) == HEAD_REVISION
        copy = db.last_backup
        with db.read() as conn:  # the new revision's table is there and usable
            assert conn.exec_driver_sql("SELECT count(*) FROM score_answer").scalar() == 0
    after = snapshot(previous_db)
    assert after["revision"] == HEAD_REVISION
    for part in ("device", "households", "members", "visits", "changes"):
        assert after[part] == before[part], part
    assert check_database(previous_db, full=True).ok
    # The copy taken before migrating is the previous version's file, whole.
    assert copy is not None and copy.exists() and f"before-{HEAD_REVISION}" in copy.name
    assert snapshot(copy) == before
    assert check_database(copy, full=True).ok


def test_a_failed_migration_leaves_the_original_untouched(previous_db: Path) -> None:
    """A migration that fails half-way (here: a table in its way) rolls back completely."""
    conn = sqlite3.connect(previous_db)
    conn.execute("CREATE TABLE score_answer (in_the_way TEXT)")
    conn.execute("INSERT INTO score_answer VALUES ('留着')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before, raw = snapshot(previous_db), digest(previous_db)
    with pytest.raises(DatabaseError, match="score_answer"):
        open_database(previous_db)
    assert snapshot(previous_db) == before and digest(previous_db) == raw
    conn = sqlite3.connect(previous_db)
    assert conn.execute("SELECT in_the_way FROM score_answer").fetchall() == [("留着",)]
    conn.close()
    assert check_database(previous_db, full=True).ok


def test_a_damaged_previous_database_is_not_migrated(previous_db: Path) -> None:
    """A damaged page (a failing sector): opening fails with a sentence and writes nothing."""
    damage_page(previous_db, 1 + 1)
    raw = digest(previous_db)
    assert not check_database(previous_db).ok
    with pytest.raises(DatabaseError):
        open_database(previous_db)
    assert digest(previous_db) == raw
