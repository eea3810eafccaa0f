"""New rows written in SQL straight from their insert entries (desktop.sync.merge_rows).

The SQL path must store every value exactly as the unit of work does (same bytes, same SQLite
type), take only JSON it fully understands, and hand everything else to the Python path, which
decodes strictly: odd but valid JSON still lands right, bad values still refuse the batch.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from desktop.core.database import Database
from desktop.core.models import SYNCED
from desktop.core.services.households import refresh_summary
from desktop.sync import merge_rows
from desktop.sync.merge import MergeError, raw_cursor
from tests.sync.replicas import entries, open_replicas, seed_regions, ship

FLOATS = [60.5, 0.1 + 0.2, 1e-7, 3.0, 123456789.123, 2.2250738585072014e-308, 1 / 3]


def raw_rows(db: Database, table: str) -> list[tuple[Any, ...]]:
    """Every column as SQLite holds it: its storage type and its value (a REAL compares bit for
    bit as a Python float)."""
    columns = [c.name for c in SYNCED[table].__table__.columns]  # type: ignore[attr-defined]
    exprs = ", ".join(f"typeof({c}), {c}" for c in columns)
    with db.read() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {exprs} FROM {table} ORDER BY id")]


def pair(tmp_path: Path) -> tuple[Database, Database]:
    a, b = open_replicas(tmp_path, 2)
    with a.unit_of_work() as uow:
        seed_regions(uow)
    return a, b


def households(db: Database, count: int) -> list[str]:
    with db.unit_of_work(cadre="甲") as uow:
        ids = uow.insert_many(
            "household",
            (
                {
                    "number": f"52010200100{n:04d}",
                    "village_code": "520102001001",
                    "housing_area": FLOATS[n % len(FLOATS)],
                    "plan": 'He said "走"\n第二行 \\ 😀',
                    "relocated": n % 2 == 0,
                    "phone": None,
                }
                for n in range(count)
            ),
        )
        uow.insert_many(
            "member",
            (
                {
                    "household_id": h,
                    "name": f"王{n}",
                    "relation": "head",
                    "birth_date": date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                    "work_months": n % 13,
                    "dibao": n % 3 == 0 or None,
                }
                for n, h in enumerate(ids)
            ),
        )
        for h in ids:  # head and size, as the household services keep them
            refresh_summary(uow, h)
    return ids


def test_new_rows_are_stored_byte_for_byte_as_the_unit_of_work_stores_them(
    tmp_path: Path,
) -> None:
    a, b = pair(tmp_path)
    households(a, 40)
    result = ship(a, b)
    assert result.pending_rows == 0
    for table in ("region", "household", "member"):
        assert raw_rows(a, table) == raw_rows(b, table), table
    a.close()
    b.close()


def test_a_large_batch_takes_the_sql_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a silent fall back to Python for everything: the SQL path inserts the rows."""
    a, b = pair(tmp_path)
    households(a, 30)
    taken: list[int] = []
    real = merge_rows.insert_new_rows

    def spy(cur: sqlite3.Cursor, table: str, rows: Any) -> Any:
        done = real(cur, table, rows)
        taken.extend(done[0])
        assert not done[1], f"{table}: rows left to Python"
        return done

    monkeypatch.setattr(merge_rows, "insert_new_rows", spy)
    ship(a, b)
    assert len(taken) == 4 + 30 + 30
    assert raw_rows(a, "household") == raw_rows(b, "household")
    a.close()
    b.close()


def _forge_insert(db: Database, table: str, change: dict[str, Any]) -> list[dict[str, Any]]:
    log = entries(db)
    out = []
    for e in log:
        if e["tbl"] == table and e["field"] == "*":
            row = json.loads(e["value"])
            for key, value in change.items():
                if value is KeyError:
                    row.pop(key)
                else:
                    row[key] = value
            e = dict(e, value=json.dumps(row, ensure_ascii=False))
        out.append(e)
    return out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"birth_date": "19600101"}, "1960-01-01"),  # valid ISO, not the canonical form
        ({"name": "王\u0001"}, "王\u0001"),  # written with a \\u escape
        ({"work_months": KeyError}, None),  # a field left out takes its default
    ],
)
def test_unusual_but_valid_json_takes_the_python_path_and_lands_the_same(
    tmp_path: Path, change: dict[str, Any], expected: Any
) -> None:
    a, b = pair(tmp_path)
    households(a, 3)
    forged = _forge_insert(a, "member", change)
    ship(a, b, forged)
    name = next(iter(change))
    with b.read() as conn:
        values = [r[0] for r in conn.exec_driver_sql(f"SELECT {name} FROM member")]
    got = {str(v) if isinstance(v, date) else v for v in values}
    assert expected in got
    a.close()
    b.close()


@pytest.mark.parametrize(
    "change",
    [
        {"name": "王" * 41},  # longer than the column
        {"work_months": "3"},  # text for an integer
        {"dibao": 1},  # a number for yes/no
        {"birth_date": "1960-02-30"},  # no such day
        {"relation": ["head"]},
        {"unknown_field": 1},
        {"name": None},  # a required field
    ],
)
def test_bad_values_in_new_rows_refuse_the_whole_batch(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    a, b = pair(tmp_path)
    households(a, 3)
    forged = _forge_insert(a, "member", change)
    with pytest.raises(MergeError, match="无效"):
        ship(a, b, forged)
    with b.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM member").scalar() == 0
    a.close()
    b.close()


def test_numbers_are_read_by_python_float(tmp_path: Path) -> None:
    """The REAL stored is the double Python's float() makes of the JSON text, bit for bit."""
    _a, b = pair(tmp_path)
    with b.unit_of_work() as uow:
        cur = raw_cursor(uow)
        merge_rows.register(cur)
        texts = ["0.1", "60.5", "1e-7", "3", "-0", "2.2250738585072014e-308", "123456789.123"]
        for text in texts:
            got = cur.execute(f"SELECT {merge_rows.REAL_FUNCTION}(?)", (text,)).fetchone()[0]
            assert got == float(text) and type(got) is float
    b.close()


def test_an_encrypted_database_merges_through_the_same_sql_path(tmp_path: Path) -> None:
    """SQLCipher brings its own SQLite (and JSON functions): the rows must land the same."""
    from desktop.core.database import open_database

    a, plain = pair(tmp_path)
    households(a, 12)
    secret = open_database(tmp_path / "secret.db", passphrase="一二三四五六七八九十abc")
    try:
        ship(a, plain)
        result = ship(a, secret)
        assert result.pending_rows == 0
        for table in ("region", "household", "member"):
            assert raw_rows(secret, table) == raw_rows(plain, table) == raw_rows(a, table)
    finally:
        secret.close()
        a.close()
        plain.close()
