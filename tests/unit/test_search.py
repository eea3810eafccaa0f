"""Household search: each kind of query finds the right household, the index follows every write,
and odd input is harmless. Real database files; the index is kept by its triggers."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from desktop.core.database import Database, open_database
from desktop.core.rules.idnumber import check_digit
from desktop.core.search import (
    SearchHit,
    ensure_index,
    optimize_index,
    plan,
    rebuild_index,
    search,
)
from desktop.core.search.keys import Field
from desktop.core.search.query import KeyLookup, TextLookup, _key_sql, _text_sql
from desktop.core.services.households import (
    add_member,
    create_household,
    member_leaves,
    set_head,
    update_member,
)

OTHER_VILLAGE = "520102001002"


def id_number(birth: str, seq: str) -> str:
    first17 = "520102" + birth + seq
    return first17 + check_digit(first17)


ZHANG_SAN_ID = id_number("19800101", "123")
LI_SI_ID = id_number("19820202", "222")
ZENG_ID = id_number("19700303", "331")
X_ID = "11010519491231002X"  # a published valid sample ending in X


@pytest.fixture
def county(db: Database, village: str) -> dict[str, str]:
    """Four households in two villages; returns their ids by name."""
    with db.unit_of_work(cadre="测试员") as uow:
        uow.insert(
            "region",
            {
                "code": OTHER_VILLAGE,
                "name": "石桥村",
                "level": "village",
                "parent_code": "520102001000",
            },
        )
        ids = {
            "zhang": create_household(
                uow,
                {"number": "5201020010010001", "village_code": village, "phone": "13800138000"},
                [
                    {"name": "张三", "relation": "head", "id_number": ZHANG_SAN_ID},
                    {
                        "name": "李四",
                        "relation": "spouse",
                        "id_number": LI_SI_ID,
                        "phone": "139-1234-5678",
                    },
                ],
            ),
            "zeng": create_household(
                uow,
                {"number": "5201020010010002", "village_code": village},
                [
                    {"name": "曾国藩", "relation": "head", "id_number": ZENG_ID},
                    {"name": "张三丰", "relation": "son"},
                ],
            ),
            "ouyang": create_household(
                uow,
                {"number": "5201020010020007", "village_code": OTHER_VILLAGE},
                [
                    {"name": "欧阳春花", "relation": "head", "id_number": X_ID},
                    {"name": "王小明", "relation": "son", "phone": "0851-88886666"},
                ],
            ),
            "wang": create_household(
                uow,
                {"number": "5201020010020008", "village_code": OTHER_VILLAGE},
                [{"name": "王小明", "relation": "head"}],
            ),
        }
    return ids


def found(hits: list[SearchHit]) -> list[tuple[str, str | None, str, str]]:
    return [(h.household_number, h.member_name, h.matched_on, h.match) for h in hits]


def member_id(db: Database, name: str, household_id: str | None = None) -> str:
    with db.read() as conn:
        rows = conn.execute(
            text("SELECT id, household_id FROM member WHERE name = :n"), {"n": name}
        ).all()
    (only,) = [r.id for r in rows if household_id in (None, r.household_id)]
    return str(only)


# ----------------------------------------------------------------------------- names
def test_name_exact_comes_before_prefix(db: Database, county: dict[str, str]) -> None:
    assert found(search(db, "张三")) == [
        ("5201020010010001", "张三", "name", "exact"),
        ("5201020010010002", "张三丰", "name", "prefix"),
    ]


def test_one_and_two_character_queries_find_substrings(
    db: Database, county: dict[str, str]
) -> None:
    assert found(search(db, "三")) == [
        ("5201020010010001", "张三", "name", "substring"),
        ("5201020010010002", "张三丰", "name", "substring"),
    ]
    assert found(search(db, "三丰")) == [("5201020010010002", "张三丰", "name", "substring")]
    assert found(search(db, "春花")) == [("5201020010020007", "欧阳春花", "name", "substring")]
    # A surname alone is a prefix: everyone named 张, one hit per household, heads first.
    assert [h.member_name for h in search(db, "张")] == ["张三", "张三丰"]


def test_three_characters_use_the_trigram_index(db: Database, county: dict[str, str]) -> None:
    assert found(search(db, "阳春花")) == [("5201020010020007", "欧阳春花", "name", "substring")]
    assert found(search(db, "欧阳春花")) == [("5201020010020007", "欧阳春花", "name", "exact")]
    assert search(db, "阳春花开") == []


def test_heads_come_before_other_members(db: Database, county: dict[str, str]) -> None:
    hits = search(db, "王小明")
    # The son in 欧阳's household was entered first, but the head of 王's household leads.
    assert [(h.household_number, h.is_head) for h in hits] == [
        ("5201020010020008", True),
        ("5201020010020007", False),
    ]
    assert hits[1].head_name == "欧阳春花" and hits[1].member_name == "王小明"


# ----------------------------------------------------------------------------- pinyin
def test_full_pinyin(db: Database, county: dict[str, str]) -> None:
    for query in ("zhangsan", "zhang san", "ZhangSan", "zhang'san", "ｚｈａｎｇｓａｎ"):
        hits = search(db, query)
        assert found(hits)[0] == ("5201020010010001", "张三", "pinyin", "exact"), query
        assert hits[0].matched_value == "zhangsan"
        assert found(hits)[1] == ("5201020010010002", "张三丰", "pinyin", "prefix")


def test_initials_and_pinyin_prefixes(db: Database, county: dict[str, str]) -> None:
    assert found(search(db, "zs")) == [
        ("5201020010010001", "张三", "initials", "exact"),
        ("5201020010010002", "张三丰", "initials", "prefix"),
    ]
    assert found(search(db, "zhangs"))[0][:3] == ("5201020010010001", "张三", "pinyin")
    assert found(search(db, "oyc")) == [("5201020010020007", "欧阳春花", "initials", "prefix")]
    assert found(search(db, "oych")) == [("5201020010020007", "欧阳春花", "initials", "exact")]
    assert search(db, "zzz") == []


def test_u_umlaut_is_typed_as_v(db: Database, county: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        add_member(uow, county["wang"], {"name": "吕女", "relation": "daughter"})
    for query in ("lvnv", "lünü", "ln"):
        assert [h.member_name for h in search(db, query)] == ["吕女"], query


def test_surname_with_two_readings_is_found_both_ways(db: Database, county: dict[str, str]) -> None:
    for query in ("zengguofan", "cengguofan", "zgf", "cgf", "zeng"):
        hits = search(db, query)
        assert hits and hits[0].member_name == "曾国藩", query


# ----------------------------------------------------------------------------- numbers
def test_id_number_exact_last_digits_and_middle(db: Database, county: dict[str, str]) -> None:
    assert found(search(db, ZHANG_SAN_ID)) == [("5201020010010001", "张三", "id_number", "exact")]
    last4 = search(db, ZHANG_SAN_ID[-4:])
    assert found(last4)[0] == ("5201020010010001", "张三", "id_number", "suffix")
    assert found(search(db, LI_SI_ID[-6:])) == [("5201020010010001", "李四", "id_number", "suffix")]
    middle = search(db, "19700303")  # a birth date, in the middle of 曾国藩's ID
    assert found(middle) == [("5201020010010002", "曾国藩", "id_number", "substring")]
    assert middle[0].matched_value == ZENG_ID


def test_id_number_x_in_either_case(db: Database, county: dict[str, str]) -> None:
    for query in ("002X", "002x", "1231002x", X_ID.lower()):
        hits = search(db, query)
        assert hits and hits[0].member_name == "欧阳春花", query
        assert hits[0].matched_on == "id_number"


def test_short_digit_queries_match_household_numbers_only(
    db: Database, county: dict[str, str]
) -> None:
    # "198" occurs in IDs, but fewer than four digits only ever mean a 户编号.
    assert search(db, "198") == []
    assert [h.household_number for h in search(db, "0007")] == ["5201020010020007"]
    assert found(search(db, "007")) == [("5201020010020007", "欧阳春花", "number", "substring")]


def test_household_number_exact_prefix_and_substring(db: Database, county: dict[str, str]) -> None:
    assert found(search(db, "5201020010010002")) == [
        ("5201020010010002", "曾国藩", "number", "exact")
    ]
    prefix = search(db, "520102001002")
    assert [h.household_number for h in prefix] == ["5201020010020007", "5201020010020008"]
    assert {h.matched_on for h in prefix} == {"number"}
    assert found(search(db, "10020008")) == [("5201020010020008", "王小明", "number", "substring")]


def test_phones_of_members_and_households(db: Database, county: dict[str, str]) -> None:
    # The household's phone: the hit names its head.
    hit = search(db, "13800138000")[0]
    assert (hit.household_number, hit.member_name, hit.matched_on, hit.match) == (
        "5201020010010001",
        "张三",
        "phone",
        "exact",
    )
    # A member's phone typed with or without dashes, whole, by its last four or its middle.
    for query, match in (
        ("13912345678", "exact"),
        ("139 1234 5678", "exact"),
        ("5678", "suffix"),
        ("912345", "substring"),
    ):
        hits = search(db, query)
        assert found(hits)[0] == ("5201020010010001", "李四", "phone", match), query
    landline = search(db, "88886666")
    assert found(landline) == [("5201020010020007", "王小明", "phone", "suffix")]
    assert landline[0].matched_value == "0851-88886666"


# ----------------------------------------------------------------------------- filters and shape
def test_limit_and_village_filter(db: Database, county: dict[str, str], village: str) -> None:
    assert len(search(db, "5201", limit=2)) == 2
    assert search(db, "5201", limit=0) == []
    assert [h.household_number for h in search(db, "王小明", village_code=OTHER_VILLAGE)] == [
        "5201020010020008",
        "5201020010020007",
    ]
    assert search(db, "王小明", village_code=village) == []
    assert [h.member_name for h in search(db, "zs", village_code=village)] == ["张三", "张三丰"]


def test_to_json_has_stable_keys(db: Database, county: dict[str, str]) -> None:
    hit = search(db, "张三")[0]
    assert hit.to_json() == {
        "household_id": county["zhang"],
        "household_number": "5201020010010001",
        "head_name": "张三",
        "village_code": "520102001001",
        "village_name": "新寨村",
        "member_id": member_id(db, "张三"),
        "member_name": "张三",
        "matched_on": "name",
        "match": "exact",
        "matched_value": "张三",
        "is_head": True,
        "active": True,
    }


SPECIAL = ["%", "_", "'", '"', "\\", "*", "%三", "张%", "_三", "三'", '张"三', "张三*", "a OR b",
           "NEAR(a b)", "zs*", "'; DROP TABLE member; --", "{name} : 张", "", "   ", "x" * 500,
           "5201%", "52_1", "1234*", '12"34', "--"]  # fmt: skip


def test_special_characters_are_only_text(db: Database, county: dict[str, str]) -> None:
    for query in SPECIAL:
        assert search(db, query) == [], query
    assert search(db, "张三")  # and nothing was harmed


# ----------------------------------------------------------------------------- keeping current
def test_index_follows_inserts_renames_and_moves(db: Database, county: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        add_member(uow, county["wang"], {"name": "赵敏", "relation": "daughter"})
    assert found(search(db, "zm")) == [("5201020010020008", "赵敏", "initials", "exact")]
    with db.unit_of_work() as uow:
        update_member(uow, member_id(db, "赵敏"), {"name": "赵雅芝", "phone": "13700001111"})
    assert search(db, "赵敏") == [] and search(db, "zm") == []
    assert [h.member_name for h in search(db, "雅芝")] == ["赵雅芝"]
    assert [h.member_name for h in search(db, "0001111")] == ["赵雅芝"]
    with db.unit_of_work() as uow:
        uow.update("household", county["wang"], {"number": "5201020010029999"})
    assert [h.household_number for h in search(db, "9999")] == ["5201020010029999"]
    assert search(db, "5201020010020008") == []


def test_members_who_leave_or_are_voided_drop_out(db: Database, county: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        member_leaves(uow, member_id(db, "李四"), "died", date(2024, 5, 1))
    assert search(db, "李四") == [] and search(db, LI_SI_ID[-4:]) == []
    hidden = search(db, "李四", include_inactive=True)
    assert [(h.member_name, h.active) for h in hidden] == [("李四", False)]
    with db.unit_of_work() as uow:
        uow.void("member", member_id(db, "张三丰"), "重复录入")
    assert search(db, "张三丰") == []
    assert [h.member_name for h in search(db, "张三")] == ["张三"]


def test_a_voided_household_takes_its_members_with_it(db: Database, county: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        uow.void("household", county["zeng"], "重复建档")
    assert search(db, "曾国藩") == [] and search(db, "张三丰") == []
    assert search(db, "5201020010010002") == []
    with db.unit_of_work() as uow:
        uow.update("household", county["zeng"], {"voided": False, "void_reason": None})
    assert [h.member_name for h in search(db, "曾国藩")] == ["曾国藩"]


def test_a_new_head_ranks_as_head(db: Database, county: dict[str, str]) -> None:
    assert [h.is_head for h in search(db, "张三丰")] == [False]
    with db.unit_of_work() as uow:
        set_head(uow, county["zeng"], member_id(db, "张三丰"))
    assert [h.is_head for h in search(db, "张三丰")] == [True]
    assert [h.is_head for h in search(db, "曾国藩")] == [False]
    assert search(db, "张三丰")[0].head_name == "张三丰"


def test_moving_a_household_to_another_village(db: Database, county: dict[str, str]) -> None:
    with db.unit_of_work() as uow:
        uow.update("household", county["zhang"], {"village_code": OTHER_VILLAGE})
    hits = search(db, "李四", village_code=OTHER_VILLAGE)
    assert [(h.member_name, h.village_name) for h in hits] == [("李四", "石桥村")]


def test_merge_writes_are_indexed_too(db: Database, county: dict[str, str]) -> None:
    # Sync applies other laptops' changes with write_raw / insert_raw: the triggers see them.
    with db.unit_of_work() as uow:
        uow.write_raw("member", member_id(db, "王小明", county["wang"]), {"name": "王大明"})
    assert [h.household_number for h in search(db, "王大明")] == ["5201020010020008"]
    assert [h.household_number for h in search(db, "王小明")] == ["5201020010020007"]


# ----------------------------------------------------------------------------- rebuilding
def everything(db: Database) -> list[dict[str, Any]]:
    queries = ["张", "三", "zs", "zhang", "5201", "5678", "19700303", "王小明", "oy", "002x"]
    return [h.to_json() for q in queries for h in search(db, q, include_inactive=True)]


def test_rebuild_gives_the_same_answers(db: Database, county: dict[str, str]) -> None:
    before = everything(db)
    assert len(before) > 10
    rebuild_index(db)
    assert everything(db) == before
    optimize_index(db)
    assert everything(db) == before
    assert ensure_index(db) is False  # consistent: nothing to do


def test_open_repairs_a_damaged_or_missing_index(tmp_path: Path, village: str) -> None:
    path = tmp_path / "doorstep.db"
    db = open_database(path)
    with db.unit_of_work() as uow:
        create_household(
            uow,
            {"number": "H1", "village_code": "520102000000"},
            [{"name": "张三", "relation": "head"}],
        )
    db.close()
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM search_doc")  # derived tables are not guarded
    raw.execute("DROP TRIGGER search_member_insert")
    raw.commit()
    raw.close()
    with open_database(path) as reopened:
        assert [h.member_name for h in search(reopened, "张三")] == ["张三"]
        with reopened.unit_of_work() as uow:
            add_member(uow, search(reopened, "H1")[0].household_id, {"name": "李四"})
        assert [h.member_name for h in search(reopened, "李四")] == ["李四"]


def test_migrations_that_rebuild_tables_still_work(tmp_path: Path, village: str) -> None:
    # Alembic's batch mode copies a table, drops it and renames the copy. SQLite refuses the
    # rename while any trigger names a missing table, so no search trigger may read the other table.
    path = tmp_path / "doorstep.db"
    db = open_database(path)
    with db.unit_of_work() as uow:
        create_household(
            uow, {"number": "H1", "village_code": village}, [{"name": "张三", "relation": "head"}]
        )
    for table in ("member", "household"):
        with db.engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            with (
                conn.begin(),
                Operations(MigrationContext.configure(conn)).batch_alter_table(
                    table, recreate="always"
                ),
            ):
                pass
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    db.close()
    with open_database(path) as reopened:  # the triggers went with the tables: rebuilt at open
        assert [h.member_name for h in search(reopened, "zs")] == ["张三"]
        with reopened.unit_of_work() as uow:
            add_member(uow, search(reopened, "H1")[0].household_id, {"name": "李四"})
        assert [h.member_name for h in search(reopened, "ls")] == ["李四"]


def test_an_old_index_format_is_rebuilt(db: Database, county: dict[str, str]) -> None:
    with db.write_connection() as conn:
        conn.execute(text("UPDATE search_meta SET value = '0' WHERE key = 'version'"))
        conn.execute(text("DELETE FROM search_key"))
    assert search(db, "zs") == []
    assert ensure_index(db) is True
    assert [h.member_name for h in search(db, "zs")] == ["张三", "张三丰"]


def test_migrations_do_not_see_the_index(db: Database) -> None:
    with db.read() as conn:
        names = {
            row[0]
            for row in conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'search%'")
            )
        }
    assert {"search_doc", "search_key", "search_fts", "search_digits"} <= names
    assert all(name.startswith("search_") for name in names)


# ----------------------------------------------------------------------------- plans
def test_plans_by_kind_of_query() -> None:
    assert [tier for tier, _ in plan("张三")] == ["exact", "prefix", "substring"]
    assert [tier for tier, _ in plan("zs")] == ["exact", "prefix"]
    assert [tier for tier, _ in plan("1234")] == ["exact", "suffix", "prefix", "substring"]
    assert [tier for tier, _ in plan("12")] == ["exact", "prefix"]
    assert plan("") == [] and plan("   ") == []


def test_short_initials_are_an_index_range(db: Database) -> None:
    sql, params = _key_sql(KeyLookup((Field.PINYIN, Field.INITIALS), "zs", True), 1, None, False)
    with db.read() as conn:
        steps = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))]
    assert any("USING PRIMARY KEY (field=? AND head=? AND key>? AND key<?)" in s for s in steps)
    assert not any(s.startswith("SCAN") for s in steps), steps


def test_a_village_filter_does_not_turn_the_plan_around(db: Database, village: str) -> None:
    # Driven from the village, SQLite would run the FTS5 match once per household of the village.
    for lookup in plan("1234")[-1][1]:
        assert isinstance(lookup, TextLookup)
        sql, params = _text_sql(lookup, 60, village, False)
        with db.read() as conn:
            steps = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))]
        assert steps[0].startswith("SCAN f VIRTUAL TABLE"), steps
    sql, params = _key_sql(KeyLookup((Field.NAME,), "张", True), 0, village, False)
    with db.read() as conn:
        steps = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))]
    assert steps[0].startswith("SEARCH k USING PRIMARY KEY"), steps
