"""What a county folder's store holds, whichever database it is on (for assertions)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from county.data import County


def county_changes(data: Path) -> int:
    """How many changes the county folder's store holds (whichever database it is on)."""
    with County.open(data) as county:
        return county.change_count()


def county_rows(data: Path, table: str) -> int:
    """How many rows of a synced table the county knows."""
    with County.open(data) as county, county.store.read() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM row_place WHERE tbl = :t"), {"t": table}
            ).scalar_one()
        )
