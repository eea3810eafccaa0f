"""What a laptop receives: its villages' changes after its cursor, excluding its own.

A change belongs to a device's villages when its household is in one of them (by the household's
village now, so a household that moved is followed), when it is county-wide (helpers, and the
province, city and county regions) or when it is a region row of those villages or their
townships. The query is a UNION ALL of three index lookups ordered by ``server_seq``, so a
village's history is read without scanning the county's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text

from desktop.sync.bundle import COLUMNS

UPPER_LEVELS = ("province", "city", "county")


def _parents(conn: Connection, villages: Sequence[str]) -> list[str]:
    found = conn.execute(
        text(
            "SELECT DISTINCT parent_code FROM row_place WHERE tbl = 'region' "
            "AND code IN :v AND parent_code IS NOT NULL"
        ).bindparams(bindparam("v", expanding=True)),
        {"v": list(villages)},
    ).scalars()
    return [str(p) for p in found if p] or [""]


def _query(columns: str) -> Any:
    def part(source: str, where: str) -> str:
        return (
            f"SELECT {columns} FROM change_log c {source} WHERE c.server_seq > :c "
            f"AND c.server_seq <= :t AND c.device_id <> :d {where}"
        )

    sql = " UNION ALL ".join(
        [
            part(
                "JOIN row_place h ON h.tbl = 'household' AND h.row_id = c.household_id "
                "AND h.village IN :v",
                "AND c.tbl <> 'region'",
            ),
            part("", "AND c.household_id IS NULL AND c.tbl <> 'region'"),
            part(
                "JOIN row_place r ON r.tbl = 'region' AND r.row_id = c.row_id "
                "AND (r.village IN :v OR r.code IN :p OR r.level IN :u)",
                "AND c.tbl = 'region'",
            ),
        ]
    )
    return text(sql).bindparams(
        bindparam("v", expanding=True),
        bindparam("p", expanding=True),
        bindparam("u", expanding=True),
    )


def _params(
    conn: Connection, device: str, villages: Sequence[str], cursor: int, top: int
) -> dict[str, Any]:
    return {
        "c": cursor,
        "t": top,
        "d": device,
        "v": list(villages) or [""],
        "p": _parents(conn, villages) if villages else [""],
        "u": list(UPPER_LEVELS),
    }


def entries_for(
    conn: Connection, device: str, villages: Sequence[str], cursor: int, top: int
) -> list[tuple[Any, ...]]:
    """The device's entries in (cursor, top], in the bundle's column order, by server_seq."""
    columns = ", ".join(f"c.{c}" for c in COLUMNS)
    sql = f"SELECT * FROM ({_query(columns).text}) s ORDER BY s.server_seq"
    statement = text(sql).bindparams(
        bindparam("v", expanding=True),
        bindparam("p", expanding=True),
        bindparam("u", expanding=True),
    )
    rows = conn.execute(statement, _params(conn, device, villages, cursor, top))
    return [tuple(r) for r in rows]


def count_for(conn: Connection, device: str, villages: Sequence[str], cursor: int, top: int) -> int:
    """How many entries the device has not received yet."""
    sql = f"SELECT count(*) FROM ({_query('c.server_seq').text}) s"
    statement = text(sql).bindparams(
        bindparam("v", expanding=True),
        bindparam("p", expanding=True),
        bindparam("u", expanding=True),
    )
    return int(conn.execute(statement, _params(conn, device, villages, cursor, top)).scalar_one())
