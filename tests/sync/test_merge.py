"""Merging change-log entries: LWW per field, groups, tombstones, conflicts, resolutions.

These tests exchange raw entries between real databases (no bundles) so every ordering can be
tried quickly; the bundle path is covered by test_exchange and test_convergence.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.services.households import (
    member_leaves,
    refresh_summary,
    update_member,
)
from desktop.sync.conflicts import list_conflicts, resolve_conflict
from desktop.sync.merge import conflict_id
from tests.sync.replicas import (
    entries,
    new_member,
    open_replicas,
    pick_row,
    seed_households,
    seed_regions,
    ship,
    snapshot,
)


def three(tmp_path: Path) -> tuple[Database, Database, Database]:
    a, b, c = open_replicas(tmp_path, 3)
    with a.unit_of_work() as uow:
        seed_regions(uow)
    seed_households(a, 1)
    ship(a, b)
    ship(a, c)
    return a, b, c


def household_of(db: Database) -> str:
    with db.read() as conn:
        return str(conn.execute(text("SELECT id FROM household")).scalar_one())


def field(db: Database, table: str, row: str, name: str) -> object:
    with db.read() as conn:
        return conn.execute(text(f"SELECT {name} FROM {table} WHERE id = :i"), {"i": row}).scalar()


def test_last_writer_wins_and_concurrent_edits_become_the_same_conflict_everywhere(
    tmp_path: Path,
) -> None:
    a, b, c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work(cadre="甲") as uow:
        uow.update("household", h, {"phone": "13800000001"})
    with b.unit_of_work(cadre="乙") as uow:
        uow.update("household", h, {"phone": "13900000002"})
    # a hears b, b hears a, c hears them in the other order
    ship(b, a)
    ship(a, b)
    ship(b, c)
    ship(a, c)
    assert snapshot(a) == snapshot(b) == snapshot(c)
    assert field(a, "household", h, "phone") == "13900000002"  # b wrote later
    [conflict] = list_conflicts(c)
    assert (conflict.winner_value, conflict.loser_value) == ("13900000002", "13800000001")
    assert (conflict.winner_cadre, conflict.loser_cadre) == ("乙", "甲")
    assert conflict.loser_device == a.device_id and conflict.winner_device == b.device_id
    for db in (a, b, c):
        db.close()


def test_sequential_edits_are_not_conflicts_and_equal_values_are_not_either(
    tmp_path: Path,
) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13800000001", "note": "同样"})
    ship(a, b)
    with b.unit_of_work() as uow:  # b saw a's edit: a plain overwrite
        uow.update("household", h, {"phone": "13900000002"})
    with a.unit_of_work() as uow:
        uow.update("household", h, {"note": "改了"})
    with b.unit_of_work() as uow:
        uow.update("household", h, {"note": "改了"})  # concurrent but the same value
    ship(a, b)
    ship(b, a)
    assert snapshot(a) == snapshot(b)
    assert list_conflicts(a) == [] and list_conflicts(b) == []


def test_field_groups_travel_under_one_stamp(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"bank_name": "农业银行"})
    with b.unit_of_work() as uow:
        uow.update("household", h, {"bank_account": "6228480402564890018"})
    ship(a, b)
    ship(b, a)
    # b wrote later, and its write carried the whole group (bank_name unchanged by b)
    assert field(a, "household", h, "bank_name") is None
    assert field(a, "household", h, "bank_account") == "6228480402564890018"
    assert snapshot(a) == snapshot(b)
    with a.read() as conn:
        stamps = conn.execute(
            text(
                "SELECT DISTINCT hlc FROM field_stamp WHERE row_id = :h "
                "AND field IN ('bank_name', 'bank_account')"
            ),
            {"h": h},
        ).all()
    assert len(stamps) == 1


def test_void_is_a_tombstone_and_an_edit_of_a_voided_row_still_applies(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    member = new_member(a, h, "张三")
    ship(a, b)
    with a.unit_of_work() as uow:
        uow.void("member", member, "录入重复")
    with b.unit_of_work() as uow:
        uow.update("member", member, {"name": "张叁"})
    ship(a, b)
    ship(b, a)
    assert snapshot(a) == snapshot(b)
    assert field(a, "member", member, "voided") == 1
    assert field(a, "member", member, "name") == "张叁"
    # the household summary follows the merged members on both sides
    assert field(a, "household", h, "size") == field(b, "household", h, "size") == 2


def test_summary_is_recomputed_after_members_merge(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    new_member(a, h, "甲家新人")
    new_member(b, h, "乙家新人")
    ship(a, b)
    ship(b, a)
    assert field(a, "household", h, "size") == field(b, "household", h, "size") == 4
    with a.read() as conn:
        head = conn.execute(
            text("SELECT id FROM member WHERE household_id = :h AND relation = 'head'"), {"h": h}
        ).scalar_one()
    with a.unit_of_work() as uow:
        member_leaves(uow, head, "died", date(2024, 1, 2))
    ship(a, b)
    assert field(b, "household", h, "head_name") == "" and field(b, "household", h, "size") == 3


def test_updates_before_their_insert_wait_and_then_apply(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    member = new_member(a, h, "李四")
    with a.unit_of_work() as uow:
        uow.update("member", member, {"name": "李肆"})
    log = [e for e in entries(a) if e["row_id"] == member]
    insert = [e for e in log if e["field"] == "*"]
    later = [e for e in log if e["field"] != "*"]
    result = ship(a, b, later)
    assert result.pending_rows == 1 and field(b, "member", member, "name") is None
    ship(a, b, insert)
    assert field(b, "member", member, "name") == "李肆"
    ship(a, b)
    assert snapshot(a) == snapshot(b)


def test_a_child_before_its_household_waits_for_the_household(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    [h2] = seed_households(a, 1, start=7)
    log = [e for e in entries(a) if e["household_id"] == h2]
    children = [e for e in log if e["tbl"] != "household"]
    result = ship(a, b, children)
    assert result.pending_rows >= 2
    ship(a, b)
    assert snapshot(a) == snapshot(b)


def test_the_same_bundle_twice_changes_nothing(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    before = snapshot(b)
    result = ship(a, b)
    assert result.applied == 0 and result.duplicates == result.received
    assert snapshot(b) == before


def test_stale_edit_on_the_authors_own_laptop_is_found_there_too(tmp_path: Path) -> None:
    """b opened the form before a's change arrived and saved after: every replica, b included,
    records the conflict."""
    a, b, c = three(tmp_path)
    h = household_of(a)
    with b.unit_of_work() as uow:
        seen = uow.stamps("household", h)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"note": "甲写的"})
    ship(a, b)
    with b.unit_of_work() as uow:
        uow.update("household", h, {"note": "乙写的"}, base=seen)
    ship(b, a)
    ship(b, c)
    assert len(list_conflicts(b)) == 1
    assert snapshot(a) == snapshot(b) == snapshot(c)


def test_resolution_is_a_change_and_resolves_everywhere(tmp_path: Path) -> None:
    a, b, c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13800000001"})
    with b.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13900000002"})
    ship(a, b)
    [conflict] = list_conflicts(b)
    change = resolve_conflict(b, conflict.id, conflict.loser_value, cadre="乙")
    assert list_conflicts(b) == []
    assert field(b, "household", h, "phone") == "13800000001"
    ship(b, c)  # c learns of the conflict and its resolution together
    ship(b, a)
    assert snapshot(a) == snapshot(b) == snapshot(c)
    [done] = list_conflicts(a, include_resolved=True)
    assert done.resolved_by_change == change
    with a.read() as conn:
        pair = conn.execute(text("SELECT winner_change_id, loser_change_id FROM conflict")).one()
    assert done.id == conflict.id == conflict_id(pair[1], pair[0])


def test_resolving_with_the_current_value_still_travels(tmp_path: Path) -> None:
    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13800000001"})
    with b.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13900000002"})
    ship(a, b)
    ship(b, a)
    [conflict] = list_conflicts(a)
    resolve_conflict(a, conflict.id, conflict.winner_value)
    ship(a, b)
    assert list_conflicts(b) == [] and snapshot(a) == snapshot(b)


def test_bad_values_refuse_the_whole_batch(tmp_path: Path) -> None:
    from desktop.sync.merge import MergeError

    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"phone": "13800000001", "housing_area": 50.0})
    log = entries(a)
    forged = [dict(e) for e in log[-3:]]
    for e in forged:
        if e["field"] == "housing_area":
            e["value"] = '"fifty"'
    before = snapshot(b)
    with pytest.raises(MergeError, match="无效"):
        ship(a, b, forged)
    assert snapshot(b) == before


# --------------------------------------------------------------------------------- property
EDITS = [
    ("household", "phone", ["13800000001", "13900000002", "13700000003"]),
    ("household", "note", ["甲", "乙", "丙", None]),
    ("household", "housing_area", [0.0, 45.5, 80.0]),
    ("member", "name", ["王一", "王二", "王三"]),
    ("member", "phone", ["13600000004", "13500000005"]),
]

operation = st.one_of(
    st.tuples(
        st.just("edit"),
        st.integers(0, 2),
        st.integers(0, len(EDITS) - 1),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(st.just("void"), st.integers(0, 2)),
    st.tuples(st.just("visit"), st.integers(0, 2)),
    st.tuples(st.just("member"), st.integers(0, 2)),
    st.tuples(st.just("household"), st.integers(0, 2)),
    st.tuples(st.just("resolve"), st.integers(0, 2)),
    st.tuples(st.just("gossip"), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2**16)),
)


QUICK = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
THOROUGH = settings(QUICK, max_examples=60)
scenarios = (st.lists(operation, min_size=5, max_size=30), st.integers(0, 2**16))


@QUICK
@given(*scenarios)
def test_replicas_converge_whatever_order_entries_arrive_in(ops: list[tuple], seed: int) -> None:
    converge(ops, seed)


@pytest.mark.slow
@THOROUGH
@given(*scenarios)
def test_replicas_converge_thoroughly(ops: list[tuple], seed: int) -> None:
    converge(ops, seed)


def converge(ops: list[tuple], seed: int) -> None:
    """Three replicas edit (concurrently, stale, voids, edits of voided rows, resolutions) and
    pass random subsets of what they know to each other in random order, with duplicates; after
    everyone has heard everything they hold the same rows and the same conflicts."""
    with tempfile.TemporaryDirectory() as folder:
        replicas = open_replicas(Path(folder), 3)
        try:
            with replicas[0].unit_of_work() as uow:
                seed_regions(uow)
            seed_households(replicas[0], 2)
            ship(replicas[0], replicas[1])
            ship(replicas[0], replicas[2])
            rng = random.Random(seed)
            numbers = iter(range(100, 1000))
            for op in ops:
                _run(op, replicas, rng, numbers)
            for _round in range(2):
                for source in replicas:
                    for target in replicas:
                        if source is not target:
                            log = entries(source)
                            rng.shuffle(log)
                            ship(source, target, log)
            states = [snapshot(db) for db in replicas]
            assert states[0] == states[1] == states[2]
        finally:
            for db in replicas:
                db.close()


def _run(op: tuple, replicas: list[Database], rng: random.Random, numbers: object) -> None:
    kind, who = op[0], replicas[op[1]]
    if kind == "edit":
        table, name, values = EDITS[op[2]]
        row = pick_row(who, table, rng)
        if row is None:
            return
        with who.unit_of_work() as uow:
            stale = {name: uow.get(table, row)["created_hlc"]} if op[4] else None
            value = {name: values[op[3] % len(values)]}
            if table == "member":  # through the service, which keeps head and size right
                update_member(uow, row, value, base=stale)
            else:
                uow.update(table, row, value, base=stale)
    elif kind == "void":
        table = rng.choice(["member", "visit"])
        row = pick_row(who, table, rng)
        if row is not None:
            with who.unit_of_work() as uow:
                uow.void(table, row, "作废")
                if table == "member":  # what a member service does after any member change
                    refresh_summary(uow, uow.get("member", row)["household_id"])
    elif kind == "visit":
        household = pick_row(who, "household", rng)
        if household is not None:
            with who.unit_of_work() as uow:
                uow.insert(
                    "visit",
                    {"household_id": household, "visit_date": date(2024, 5, 1), "notes": "走访"},
                )
    elif kind == "member":
        household = pick_row(who, "household", rng)
        if household is not None:
            new_member(who, household, rng.choice(["赵", "钱", "孙"]))
    elif kind == "household":
        seed_households(who, 1, start=next(numbers))  # type: ignore[call-overload]
    elif kind == "resolve":
        open_ones = list_conflicts(who)
        if open_ones:
            pick = open_ones[0]
            resolve_conflict(who, pick.id, rng.choice([pick.winner_value, pick.loser_value]))
    elif kind == "gossip":
        source, target = replicas[op[1]], replicas[op[2]]
        if source is target:
            return
        picker = random.Random(op[3])
        log = entries(source)
        subset = [e for e in log if picker.random() < 0.6]
        picker.shuffle(subset)
        ship(source, target, subset + subset[:3])


def test_far_future_stamps_are_accepted_but_flagged(tmp_path: Path) -> None:
    from desktop.core.hlc import format_stamp, parse_stamp, wall_ms

    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        uow.update("household", h, {"note": "时钟快了"})
    entry = dict(entries(a)[-1])
    stamp = parse_stamp(entry["hlc"])
    entry["hlc"] = format_stamp(wall_ms() + 3 * 24 * 3600 * 1000, 0, stamp.device)
    result = ship(a, b, [entry])
    assert result.applied == 1 and result.far_future == 1
    assert field(b, "household", h, "note") == "时钟快了"


def search_state(db: Database) -> tuple[list[tuple], list[tuple], list[str]]:
    with db.read() as conn:
        docs = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT kind, row_id, household_id, village, head, active FROM search_doc "
                    "ORDER BY row_id"
                )
            )
        ]
        keys = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT k.field, k.key, d.row_id, k.active FROM search_key k "
                    "JOIN search_doc d ON d.doc = k.doc ORDER BY 1, 2, 3"
                )
            )
        ]
        triggers = [
            r[0]
            for r in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            )
        ]
    return docs, keys, triggers


def test_a_large_merge_keeps_the_search_index_exactly_as_the_triggers_would(
    tmp_path: Path,
) -> None:
    from desktop.core.search import search
    from desktop.core.search.bulk import BULK_ROWS

    a, b, c = three(tmp_path)
    seed_households(a, 120, start=10)
    log = entries(a)
    assert len(log) > BULK_ROWS
    ship(a, b)  # one large batch: triggers suspended, households re-indexed in bulk
    for start in range(0, len(log), 50):  # small batches: the triggers do it row by row
        ship(a, c, log[start : start + 50])
    assert search_state(b) == search_state(c)
    assert search_state(b)[2] == search_state(a)[2]  # every trigger is back
    assert [hit.member_name for hit in search(b, "户主77")] == ["户主77"]


def test_merged_rows_are_stored_exactly_as_the_unit_of_work_stores_them(tmp_path: Path) -> None:
    """Merges insert in bulk on the raw connection; dates, times with zones and yes/no values
    must land in the same text as SQLAlchemy writes them, or replicas would differ."""
    from datetime import datetime

    a, b, _c = three(tmp_path)
    h = household_of(a)
    with a.unit_of_work() as uow:
        for n, moment in enumerate(
            [
                datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC),
                datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=UTC),
            ]
        ):
            uow.insert(
                "photo",
                {
                    "sha256": f"{n:064x}",
                    "household_id": h,
                    "owner_table": "household",
                    "owner_id": h,
                    "taken_at": moment,
                },
            )
        uow.insert("visit", {"household_id": h, "visit_date": date(2024, 1, 2), "confirmed": True})
    ship(a, b)
    assert snapshot(a) == snapshot(b)
