"""The one write path: rows and change log together, validation before writing, no way around it."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.services import ValidationFailed
from desktop.core.services.households import create_household, member_leaves, save_income

HEAD_ID = "11010519491231002X"  # a published valid sample (female, born 1949-12-31)


def count(db: Database, table: str) -> int:
    with db.read() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def make_household(db: Database, village: str) -> str:
    with db.unit_of_work(cadre="李四") as uow:
        return create_household(
            uow,
            {"number": "5201020010010001", "village_code": village, "phone": "13812345678"},
            [{"name": "王芳", "relation": "head", "id_number": HEAD_ID, "ethnicity": "01"}],
        )


def test_insert_writes_row_and_change_log_in_one_go(db: Database, village: str) -> None:
    household = make_household(db, village)
    with db.read() as conn:
        entries = conn.execute(
            text(
                "SELECT tbl, field, op, cadre, device_id, hlc FROM change_log WHERE household_id = :h ORDER BY seq"
            ),
            {"h": household},
        ).all()
    tables = [e.tbl for e in entries]
    assert tables[:2] == ["household", "member"]
    assert entries[0].field == "*" and entries[0].op == "insert"
    assert {e.cadre for e in entries} == {"李四"}
    assert {e.device_id for e in entries} == {db.device_id}
    stamps = [e.hlc for e in entries]
    # Stamps never go backwards; the summary update (head, size) shares one stamp across fields.
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_member_fields_follow_the_id_number(db: Database, village: str) -> None:
    household = make_household(db, village)
    with db.read() as conn:
        member = conn.execute(
            text("SELECT * FROM member WHERE household_id = :h"), {"h": household}
        ).one()
        head = conn.execute(
            text("SELECT head_name, size FROM household WHERE id = :h"), {"h": household}
        ).one()
    assert member.gender == "F" and member.birth_date == "1949-12-31"
    assert tuple(head) == ("王芳", 1)


def test_update_logs_each_field_with_the_stamp_it_replaced(db: Database, village: str) -> None:
    household = make_household(db, village)
    with db.unit_of_work() as uow:
        before = uow.stamps("household", household)
        changed = uow.update(
            "household", household, {"phone": "13900001111", "main_cause": "illness"}
        )
    assert changed == ("phone", "main_cause")
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT field, value, base_hlc, hlc FROM change_log WHERE op = 'update' AND tbl = 'household'"
            )
        ).all()
    phone_hlc = next(r.hlc for r in rows if r.field == "phone")
    rows = [r for r in rows if r.hlc == phone_hlc]
    fields = {r.field: r for r in rows}
    # main_cause travels with the other causes: they share one stamp.
    assert set(fields) == {"phone", "main_cause", "other_cause_1", "other_cause_2"}
    assert fields["phone"].value == '"13900001111"'
    assert fields["phone"].base_hlc == before["phone"]
    assert len({r.hlc for r in rows}) == 1
    with db.unit_of_work() as uow:
        after = uow.stamps("household", household)
    assert after["phone"] == rows[0].hlc and after["phone"] > before["phone"]
    assert after["number"] == before["number"]


def test_an_update_that_changes_nothing_writes_nothing(db: Database, village: str) -> None:
    household = make_household(db, village)
    entries = count(db, "change_log")
    with db.unit_of_work() as uow:
        assert uow.update("household", household, {"phone": "13812345678"}) == ()
    assert count(db, "change_log") == entries


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),  # wrong check digit
        ({"work_months": 13}, "work_months"),
        ({"work_months": "很多"}, "work_months"),
        ({"ethnicity": "99x"}, "ethnicity"),
        ({"birth_date": date(2999, 1, 1)}, "birth_date"),
        ({"name": "  "}, "name"),
    ],
)
def test_invalid_values_are_refused_with_field_and_reason(
    db: Database, village: str, values: dict, field: str
) -> None:
    household = make_household(db, village)
    rows, entries = count(db, "member"), count(db, "change_log")
    with pytest.raises(ValidationFailed) as refused, db.unit_of_work() as uow:
        uow.insert("member", {"household_id": household, "name": "张三", **values})
    problem = refused.value.problems[0]
    assert problem.field == field
    assert problem.message and not problem.message.isascii()
    assert (count(db, "member"), count(db, "change_log")) == (rows, entries)


def test_a_failure_mid_way_rolls_back_everything(db: Database, village: str) -> None:
    household = make_household(db, village)
    rows, entries = count(db, "member"), count(db, "change_log")
    with db.read() as conn:
        seq_before = conn.execute(text("SELECT next_seq FROM device_state")).scalar_one()
    with pytest.raises(ValidationFailed), db.unit_of_work() as uow:
        uow.insert("member", {"household_id": household, "name": "甲"})
        uow.insert("member", {"household_id": household, "name": "乙", "work_months": 40})
    assert (count(db, "member"), count(db, "change_log")) == (rows, entries)
    with db.read() as conn:
        assert conn.execute(text("SELECT next_seq FROM device_state")).scalar_one() == seq_before


def test_synced_tables_cannot_be_written_around_the_unit_of_work(
    db: Database, village: str
) -> None:
    household = make_household(db, village)
    raw = sqlite3.connect(db.path)
    for statement in (
        "UPDATE household SET phone = '13700000000'",
        "INSERT INTO region (id, created_hlc, voided, code, name, level) VALUES ('x', '', 0, '1', 'n', 'village')",
        "DELETE FROM member",
    ):
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute(statement)
    raw.close()
    # Doorstep's own connections are refused too unless a unit of work holds them.
    with db.write_connection() as conn, pytest.raises(Exception, match="unit of work"):
        conn.execute(text("UPDATE household SET phone = '13700000000'"))
    with db.write_connection() as conn, pytest.raises(Exception, match="never deleted"):
        conn.execute(text("DELETE FROM household"))
    with db.read() as conn:
        assert (
            conn.execute(
                text("SELECT phone FROM household WHERE id = :h"), {"h": household}
            ).scalar()
            == "13812345678"
        )


def test_voiding_and_leaving_keep_the_record(db: Database, village: str) -> None:
    household = make_household(db, village)
    with db.unit_of_work() as uow:
        son = uow.insert("member", {"household_id": household, "name": "王小明", "relation": "son"})
        member_leaves(uow, son, "moved_out", date(2024, 5, 1))
        income = save_income(uow, household, 2023, {"wage": 12000, "business_cost": 0})
        uow.void("income", income, "录入重复")
    with db.read() as conn:
        left = conn.execute(
            text("SELECT left_reason, left_date FROM member WHERE id = :m"), {"m": son}
        ).one()
        void = conn.execute(
            text("SELECT voided, void_reason FROM income WHERE id = :i"), {"i": income}
        ).one()
        ops = [
            r.op
            for r in conn.execute(
                text("SELECT op FROM change_log WHERE row_id = :i"), {"i": income}
            )
        ]
    assert tuple(left) == ("moved_out", "2024-05-01")
    assert tuple(void) == (1, "录入重复")
    assert ops == ["insert", "void", "void"]


def test_duplicate_person_in_two_households_is_refused(db: Database, village: str) -> None:
    make_household(db, village)
    with pytest.raises(ValidationFailed, match="同一人不能在两户"), db.unit_of_work() as uow:
        create_household(uow, {"number": "5201020010010002", "village_code": village}, [])
        from desktop.core.services.households import add_member

        other = uow.connection.execute(
            text("SELECT id FROM household WHERE number = '5201020010010002'")
        ).scalar_one()
        add_member(uow, other, {"name": "王芳", "id_number": HEAD_ID})
