"""Recording conflicts for many fields at once (one self-join of the change log) finds exactly
what recording them one field at a time finds: the same ids, winners, losers and resolutions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from desktop.sync.conflicts import list_conflicts, resolve_conflict
from desktop.sync.merge import raw_cursor
from desktop.sync.merge_conflicts import record_conflicts, record_conflicts_many
from tests.sync.replicas import seed_households, ship
from tests.sync.test_merge import three

CONFLICTS = (
    "SELECT id, tbl, row_id, household_id, field, winner_change_id, winner_value, winner_hlc, "
    "winner_device, winner_cadre, loser_change_id, loser_value, loser_hlc, loser_device, "
    "loser_cadre, resolved_by_change FROM conflict ORDER BY id"
)


def test_many_fields_at_once_record_what_one_at_a_time_records(tmp_path: Path) -> None:
    a, b, c = three(tmp_path)
    households = seed_households(a, 6, start=20)
    ship(a, b)
    ship(a, c)
    for n, db in enumerate((a, b, c)):  # three laptops edit the same fields unaware
        with db.unit_of_work(cadre=f"干部{n}") as uow:
            for k, h in enumerate(households):
                uow.update("household", h, {"phone": f"13{n}{k:08d}", "note": f"{n}号"})
                if k % 2:
                    uow.update("household", h, {"note": "同样"})  # some end up equal
    for source in (a, b, c):
        for target in (a, b, c):
            if source is not target:
                ship(source, target)
    open_ones = list_conflicts(a)
    assert len(open_ones) >= 12
    resolve_conflict(a, open_ones[0].id, open_ones[0].loser_value)
    ship(a, b)

    with b.unit_of_work() as uow:
        cur = raw_cursor(uow)
        together = cur.execute(CONFLICTS).fetchall()
        fields = cur.execute(
            "SELECT DISTINCT tbl, row_id, field FROM change_log WHERE field != '*'"
        ).fetchall()
        cur.execute("DELETE FROM conflict")
        found = record_conflicts_many(cur, fields)
        assert sorted(found) == sorted(r[0] for r in together)
        assert cur.execute(CONFLICTS).fetchall() == together
        assert record_conflicts_many(cur, fields) == []  # nothing new the second time
        cur.execute("DELETE FROM conflict")
        for table, row_id, name in sorted(fields):
            record_conflicts(cur, table, row_id, name)
        assert cur.execute(CONFLICTS).fetchall() == together
    with b.read() as conn:  # the decision closes every pair on its field, as it did before
        resolved = conn.execute(
            text(
                "SELECT DISTINCT tbl, row_id, field FROM conflict "
                "WHERE resolved_by_change IS NOT NULL"
            )
        ).all()
    picked = open_ones[0]
    assert resolved == [(picked.table, picked.row_id, picked.field)]
    for db in (a, b, c):
        db.close()
