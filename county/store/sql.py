"""Small SQL helpers shared by the store's modules, the same for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500


def insert(conn: Connection, table: Table) -> Any:
    """An INSERT that knows ON CONFLICT for the connection's dialect (both spell it the same)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain INSERT of many new rows in the connection's transaction: PostgreSQL's COPY (a
    duplicate key still fails the transaction, as an INSERT would), executemany elsewhere."""
    if not rows:
        return
    columns = [c.name for c in table.columns]
    if conn.dialect.name == "postgresql":
        driver: Any = conn.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row.get(c) for c in columns])
        return
    conn.execute(table.insert(), list(rows))


_STAGING = MetaData()


def _staging(table: Table) -> Table:
    """A session-private twin of ``table`` (PostgreSQL TEMP, emptied at every commit)."""
    name = f"staging_{table.name}"
    if name not in _STAGING.tables:
        Table(name, _STAGING, *[Column(c.name, c.type) for c in table.columns])
    return _STAGING.tables[name]


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    newer: str | None = None,
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column [only WHERE the incoming
    ``newer`` column is greater]: one statement per row on SQLite; on PostgreSQL the rows are
    COPYed into a temporary staging table and merged by one set-based statement, in key order
    (two transactions touching the same rows lock them in the same order: no deadlock).
    ``rows`` must not repeat a key."""
    if not rows:
        return
    columns = [c.name for c in table.columns]
    if conn.dialect.name == "postgresql":
        staging = _staging(table)
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging.name} "
            f"(LIKE {table.name}) ON COMMIT DELETE ROWS"
        )
        load_rows(conn, staging, rows)
        source = select(*[staging.c[c] for c in columns]).order_by(*[staging.c[k] for k in keys])
        stmt = insert(conn, table).from_select(columns, source)
    else:
        stmt = insert(conn, table)
    update = {c: getattr(stmt.excluded, c) for c in columns if c not in keys}
    where = getattr(stmt.excluded, newer) > table.c[newer] if newer else None
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=update, where=where)
    if conn.dialect.name == "postgresql":
        conn.execute(stmt)
        conn.exec_driver_sql(f"DELETE FROM {_staging(table).name}")
    else:
        for part in chunks(rows, 2000):
            conn.execute(stmt, list(part))
