"""Read-side queries: filtering and sorting in SQL, the region tree, detail, history, pending."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.core.database import Database
from desktop.core.queries import (
    HouseholdFilters,
    Scope,
    count_households,
    history,
    household_detail,
    household_keys,
    list_households,
    pending_change_count,
    region_tree,
    rows_for_keys,
)
from desktop.core.services import households as household_services
from desktop.core.services.errors import NotFound
from tests.gui.sample import build_sample


@pytest.fixture
def county(db: Database) -> dict[str, str]:
    return build_sample(db, 30)


def test_list_sorts_filters_and_pages_in_sql(db: Database, county: dict[str, str]) -> None:
    assert count_households(db) == 30
    page = list_households(db, limit=10, offset=10)
    assert len(page) == 10
    everything = list_households(db, limit=100)
    numbers = [r.number for r in everything]
    assert numbers == sorted(numbers) and page == everything[10:20]
    by_name = list_households(db, sort_key="head_name", descending=True, limit=100)
    assert [r.head_name for r in by_name] == sorted((r.head_name for r in by_name), reverse=True)
    assert count_households(db, village_code="520102002001") == 10
    assert count_households(db, group_code="52010200200101") == 5
    assert count_households(db, township_code="520102001000") == 20
    assert count_households(db, filters=HouseholdFilters(status="lifted")) == 10
    assert count_households(db, filters=HouseholdFilters(category="tekun_poor")) == 10
    assert count_households(db, filters=HouseholdFilters(overdue_visits=True)) == 15
    due = list_households(db, filters=HouseholdFilters(commitments_due=True))
    assert [r.id for r in due] == [county["household"]] and due[0].overdue_commitments == 1
    with pytest.raises(ValueError):
        list_households(db, sort_key="id; DROP TABLE household")


def test_keys_then_rows_keep_the_order(db: Database, county: dict[str, str]) -> None:
    keys = household_keys(db, Scope(), HouseholdFilters(), "last_visit", True)
    assert len(keys) == 30
    rows = rows_for_keys(db, keys[:5])
    assert [r.key for r in rows] == keys[:5]
    visits = [r.last_visit for r in rows]
    assert visits == sorted(visits, reverse=True)
    hits = (rows[3].id, rows[1].id)
    ordered = household_keys(db, Scope(), HouseholdFilters(household_ids=hits), None)
    assert [r.id for r in rows_for_keys(db, ordered)] == list(hits)  # relevance order kept


def test_region_tree_counts_every_level(db: Database, county: dict[str, str]) -> None:
    roots = region_tree(db)
    assert [(t.name, t.count) for t in roots] == [("红岩镇", 20), ("青山乡", 10)]
    village = roots[0].children[0]
    assert (village.name, village.count) == ("新寨村", 10)
    assert [g.count for g in village.children] == [5, 5]


def test_detail_history_and_pending(db: Database, county: dict[str, str]) -> None:
    household_id = county["household"]
    detail = household_detail(db, household_id)
    assert detail.household["head_name"] == "张伟" and len(detail.current_members) == 2
    assert detail.helpers[0]["name"] == "马红梅"
    assert detail.overdue_commitments(date.today())
    assert detail.stamps["number"] == detail.household["created_hlc"]
    before = pending_change_count(db)
    with db.unit_of_work(cadre="李四") as uow:
        member = detail.members[1]["id"]
        household_services.member_leaves(uow, member, "died", date.today() - timedelta(days=3))
    assert pending_change_count(db) > before
    entries = history(db, household_id)
    latest = [e for e in entries if e.cadre == "李四"]
    assert any(e.field_label == "减少原因" and e.value == "死亡" for e in latest)
    assert any(e.field_label == "人口" and e.value == "1" for e in latest)
    assert all(e.this_device and not e.synced for e in entries)
    with db.write_connection() as conn:
        conn.exec_driver_sql("UPDATE change_log SET acked = 1")
    assert pending_change_count(db) == 0
    with pytest.raises(NotFound):
        household_detail(db, "no-such-household")
