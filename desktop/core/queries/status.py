"""Small figures for the status bar."""

from __future__ import annotations

from desktop.core.database import Database


def pending_change_count(db: Database) -> int:
    """Change-log entries written on this laptop that the county has not acknowledged yet."""
    with db.read() as conn:
        device = conn.exec_driver_sql("SELECT device_id FROM device_state WHERE id = 1").scalar()
        return int(
            conn.exec_driver_sql(
                "SELECT COUNT(*) FROM change_log WHERE device_id = ? AND acked = 0", (device,)
            ).scalar_one()
        )
