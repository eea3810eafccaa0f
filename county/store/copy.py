"""Copying a whole county store into another database (e.g. from the SQLite default to
PostgreSQL when a county outgrows one office computer): same schema, every table, in order."""

from __future__ import annotations

from sqlalchemy import delete, select

from county.store import schema
from county.store.engine import open_store
from county.store.sql import chunks

PAGE = 5000


def copy_store(source_url: str, target_url: str) -> int:
    """Copy every row of ``source_url``'s store into ``target_url`` (made or migrated first and
    expected to be empty apart from its counters); returns the number of rows copied."""
    source, target = open_store(source_url), open_store(target_url)
    copied = 0
    try:
        with source.read() as src, target.begin() as dst:
            for table in schema.metadata.sorted_tables:
                if table is schema.counter:
                    dst.execute(delete(table))
                offset = 0
                while True:
                    rows = [
                        dict(r)
                        for r in src.execute(
                            select(table)
                            .order_by(*table.primary_key.columns)
                            .limit(PAGE)
                            .offset(offset)
                        ).mappings()
                    ]
                    if not rows:
                        break
                    for part in chunks(rows, 1000):
                        dst.execute(table.insert(), list(part))
                    copied += len(rows)
                    offset += PAGE
    finally:
        source.close()
        target.close()
    return copied
