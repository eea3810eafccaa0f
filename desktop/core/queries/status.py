"""Small figures for the status bar."""

from __future__ import annotations

from desktop.core.database import Database


def pending_change_count(db: Database) -> int:
    """Change-log entries written on this laptop that the county has not acknowledged yet.

    Only this laptop's own entries are ever unacknowledged: changes that arrive from the county
    are stored already acknowledged (desktop/sync/exchange.py). So counting ``acked = 0`` alone
    gives the answer from the covering index on ``acked`` — tens of milliseconds over millions
    of entries, where also filtering on ``device_id`` would read every row.
    """
    with db.read() as conn:
        return int(
            conn.exec_driver_sql("SELECT COUNT(*) FROM change_log WHERE acked = 0").scalar_one()
        )
