"""Villages with their township and household counts (``doorstep villages``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from desktop.core.database import Database

VILLAGES_SQL = """
SELECT v.code, v.name, COALESCE(t.name, '') AS township, COALESCE(t.code, '') AS township_code,
       (SELECT count(*) FROM household h WHERE h.village_code = v.code AND h.voided = 0) AS households
FROM region v LEFT JOIN region t ON t.code = v.parent_code
WHERE v.level = 'village' AND v.voided = 0
ORDER BY v.code
"""


def village_list(db: Database) -> list[dict[str, Any]]:
    """Every village, in code order, with the number of (non-voided) households it holds."""
    with db.read() as conn:
        return [dict(row) for row in conn.execute(text(VILLAGES_SQL)).mappings()]


def resolve_village(db: Database, text_or_code: str) -> str | None:
    """A village's code from its 12-digit code or its (unique) name; None when unknown."""
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT code FROM region WHERE level = 'village' AND voided = 0 AND (code = :v OR name = :v)"
            ),
            {"v": text_or_code.strip()},
        ).all()
    return str(rows[0][0]) if len(rows) == 1 else None
