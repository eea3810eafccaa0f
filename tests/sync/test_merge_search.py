"""A large merge re-indexes search itself (triggers suspended); it must leave exactly the index
the triggers would have left, for new rows and for edits of every kind, while a batch that
writes no searched column does not re-index at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from desktop.core.search import bulk
from desktop.core.services.households import member_leaves, refresh_summary, update_member
from tests.sync.replicas import entries, seed_households, ship
from tests.sync.test_merge import search_state, three


def _edits(db: Any, households: list[str]) -> None:
    """Names, phones, heads, voids, leaving, a member moving house; and unsearched fields."""
    with db.unit_of_work() as uow:
        members = {
            h: [
                r[0]
                for r in uow.connection.exec_driver_sql(
                    "SELECT id FROM member WHERE household_id = ? ORDER BY sort_order", (h,)
                )
            ]
            for h in households
        }
        for n, h in enumerate(households):
            head, other = members[h]
            uow.update("household", h, {"note": f"走访{n}", "phone": f"137{n:08d}"})
            if n % 2 == 0:
                update_member(uow, other, {"name": f"改名{n}", "phone": f"1380000{n:04d}"})
            if n % 7 == 1:
                update_member(uow, head, {"relation": "other"})
                update_member(uow, other, {"relation": "head"})
            if n % 11 == 2:
                uow.void("member", other, "录入重复")
                refresh_summary(uow, h)
            if n % 13 == 3:
                member_leaves(uow, other, "died", date(2024, 1, 2))
            if n % 17 == 4:
                target = households[(n + 1) % len(households)]
                update_member(uow, other, {"household_id": target})
                refresh_summary(uow, h)
                refresh_summary(uow, target)
            if n % 19 == 5:
                uow.update("household", h, {"phone": f"1390000{n:04d}"})
            if n % 23 == 6:
                uow.void("household", h, "重复建档")


def test_a_large_batch_of_edits_leaves_the_index_the_triggers_would(tmp_path: Path) -> None:
    a, b, c = three(tmp_path)
    households = seed_households(a, 150, start=10)
    ship(a, b)
    ship(a, c)
    before = len(entries(a))
    _edits(a, households)
    log = entries(a)[before:]
    assert len([e for e in log if e["field"] in ("name", "phone", "relation")]) > bulk.BULK_ROWS
    ship(a, b, log)  # one batch: re-indexed in bulk
    for start in range(0, len(log), 40):  # small batches: the triggers do it
        ship(a, c, log[start : start + 40])
    assert search_state(b) == search_state(c) == search_state(a)
    for db in (a, b, c):
        db.close()


def test_edits_of_unsearched_fields_do_not_re_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _c = three(tmp_path)
    households = seed_households(a, 20, start=10)
    ship(a, b)
    before = len(entries(a))
    with a.unit_of_work() as uow:
        for n in range(20):
            for h in households:
                uow.update("household", h, {"note": f"第{n}次走访"})
    log = entries(a)[before:]
    assert len(log) > bulk.BULK_ROWS
    calls: list[Any] = []
    monkeypatch.setattr(bulk, "suspend", lambda cur: calls.append(cur) or [])
    ship(a, b, log)
    assert calls == [] and search_state(a) == search_state(b)
    for db in (a, b):
        db.close()
