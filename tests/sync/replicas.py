"""Helpers shared by the sync tests: replicas that edit, exchange entries and get compared."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import text

from desktop.core.database import Database, open_database
from desktop.core.models import SYNCED
from desktop.core.services.households import add_member, create_household
from desktop.sync.merge import ENTRY_COLUMNS, MergeResult, apply_entries

VILLAGE = "520102001001"
OTHER_VILLAGE = "520102002001"


def seed_regions(uow: Any) -> None:
    uow.insert_many(
        "region",
        [
            {"code": "520102000000", "name": "示范县", "level": "county"},
            {"code": "520102001000", "name": "红岩镇", "level": "township"},
            {"code": VILLAGE, "name": "新寨村", "level": "village", "parent_code": "520102001000"},
            {"code": OTHER_VILLAGE, "name": "坪上村", "level": "village"},
        ],
    )


def seed_households(
    db: Database, count: int = 2, village: str = VILLAGE, start: int = 1
) -> list[str]:
    ids = []
    with db.unit_of_work(cadre="县里") as uow:
        for n in range(start, start + count):
            ids.append(
                create_household(
                    uow,
                    {"number": f"{village}{n:04d}", "village_code": village},
                    [
                        {"name": f"户主{n}", "relation": "head"},
                        {"name": f"成员{n}", "relation": "other"},
                    ],
                )
            )
    return ids


def entries(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM change_log ORDER BY rowid")
        ).mappings()
        return [dict(r) for r in rows]


def ship(
    source: Database, target: Database, subset: list[dict[str, Any]] | None = None
) -> MergeResult:
    batch = entries(source) if subset is None else subset
    for entry in batch:
        entry["server_seq"] = None
        entry["acked"] = False
    with target.unit_of_work() as uow:
        return apply_entries(uow, batch)


def snapshot(db: Database) -> dict[str, Any]:
    """Everything that must agree between replicas: synced rows and the conflicts."""
    state: dict[str, Any] = {}
    with db.read() as conn:
        for table in SYNCED:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()
            state[table] = [dict(r) for r in rows]
        state["conflict"] = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, tbl, row_id, field, winner_change_id, winner_value, "
                    "loser_change_id, loser_value, resolved_by_change FROM conflict ORDER BY id"
                )
            )
        ]
    return state


def open_replicas(folder: Path, count: int) -> list[Database]:
    return [open_database(folder / f"replica{i}.db") for i in range(count)]


def pick_row(db: Database, table: str, rng: random.Random) -> str | None:
    with db.read() as conn:
        ids = [r[0] for r in conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))]
    return rng.choice(ids) if ids else None


def new_member(db: Database, household: str, name: str) -> str:
    with db.unit_of_work() as uow:
        return add_member(uow, household, {"name": name, "relation": "other"})
