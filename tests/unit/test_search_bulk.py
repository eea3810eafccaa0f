"""A bulk unit of work re-indexes search once at the end; the index must equal what the per-row
triggers would have built, and a failed bulk write must leave the triggers in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.database import Database, open_database
from desktop.core.search import search
from desktop.core.services import ValidationFailed

VILLAGE = "520102001001"


def write_county(db: Database, bulk: bool) -> None:
    """The same rows, with the same ids, whatever the mode, so the indexes can be compared."""
    with db.unit_of_work(bulk=bulk) as uow:
        uow.insert("region", {"id": "r1", "code": VILLAGE, "name": "新寨村", "level": "village"})
        households = uow.insert_many(
            "household",
            [
                {
                    "id": f"h{i}",
                    "number": f"52010200100100{i:02d}",
                    "village_code": VILLAGE,
                    "phone": f"1380000{i:04d}",
                }
                for i in range(40)
            ],
        )
        uow.insert_many(
            "member",
            [
                {
                    "id": f"{h}-m{j}",
                    "household_id": h,
                    "name": name,
                    "relation": "head" if j == 0 else "son",
                }
                for h in households
                for j, name in enumerate(("张三丰", "曾小明", "覃乐"))
            ],
        )
        uow.update("household", households[0], {"phone": "13912345678"})


def index_snapshot(db: Database) -> list[tuple]:
    with db.read() as conn:
        docs = conn.exec_driver_sql(
            "SELECT d.kind, d.row_id, d.household_id, d.village, d.head, d.active, k.field, k.key "
            "FROM search_doc d LEFT JOIN search_key k ON k.doc = d.doc ORDER BY 2, 7, 8"
        ).all()
    return [tuple(row) for row in docs]


def test_bulk_index_equals_trigger_index(tmp_path: Path) -> None:
    per_row = open_database(tmp_path / "rows.db")
    bulk = open_database(tmp_path / "bulk.db")
    write_county(per_row, bulk=False)
    write_county(bulk, bulk=True)
    assert index_snapshot(per_row) == index_snapshot(bulk)
    # Equal hits; ties may come back in another order (index row numbers differ).
    assert {h.household_number for h in search(bulk, "zsf")} == {
        h.household_number for h in search(per_row, "zsf")
    }
    assert search(bulk, "13912345678")[0].household_number == "5201020010010000"
    per_row.close()
    bulk.close()


def test_failed_bulk_write_keeps_the_triggers(db: Database) -> None:
    with pytest.raises(ValidationFailed), db.unit_of_work(bulk=True) as uow:
        uow.insert("region", {"code": VILLAGE, "name": "新寨村", "level": "village"})
        uow.insert("member", {"household_id": "nope", "name": " "})
    write_county(db, bulk=False)
    assert search(db, "张三丰")
