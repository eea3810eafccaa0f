"""Export → import round-trips exactly: a fresh database gets the same roster back, and importing
a database's own export into it changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from roster_builder import pid, snapshot
from sqlalchemy import text

from desktop.core.database import Database, open_database
from desktop.core.roster.exporter import export_roster
from desktop.core.roster.importer import import_roster
from desktop.core.rules.idnumber import check_digit
from desktop.core.services.households import (
    add_member,
    assign_helper,
    create_household,
    member_leaves,
    save_income,
)


def disability_card() -> str:
    first17 = "52010219750606123"
    return first17 + check_digit(first17) + "42"  # 肢体残疾, grade 2


def demo_like(db: Database, village: str) -> None:
    """A small county made through the services, with every kind of value the roster carries."""
    with db.unit_of_work(cadre="测试员") as uow:
        uow.insert_many(
            "region",
            [
                {
                    "code": "520102002000",
                    "name": "青山乡",
                    "level": "township",
                    "parent_code": "520102000000",
                },
                {
                    "code": "520102002003",
                    "name": "石门村",
                    "level": "village",
                    "parent_code": "520102002000",
                },
            ],
        )
        helper_a = uow.insert(
            "helper", {"name": "李四", "unit": "县农业局", "phone": "13900001111"}
        )
        helper_b = uow.insert("helper", {"name": "赵七", "unit": None, "phone": "0851-12345678"})
        lucky_x = next(
            pid("19880808", s) for s in range(1, 999, 2) if pid("19880808", s).endswith("X")
        )
        specs: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
            (
                {
                    "number": "5201020010010001",
                    "county_code": "520102000000",
                    "township_code": "520102001000",
                    "village_code": village,
                    "group_code": "52010200100101",
                    "phone": "13812345678",
                    "bank_name": "农村信用社",
                    "bank_account": "6222020200112233445",
                    "category": "general",
                    "standard": "national",
                    "main_cause": "illness",
                    "other_cause_1": "lack_skills",
                    "other_cause_2": "lack_capital",
                    "housing_area": 45.5,
                    "danger_grade": "C",
                    "water_safe": False,
                    "power_living": True,
                    "status": "poor",
                },
                [
                    {
                        "name": "王芳",
                        "relation": "head",
                        "id_number": pid("19491231", 2),
                        "ethnicity": "01",
                        "education": "illiterate",
                        "school_status": "not_in_school",
                        "health": "chronic",
                        "labour": "lost",
                    },
                    {
                        "name": "李明",
                        "relation": "son",
                        "id_number": lucky_x,
                        "ethnicity": "06",
                        "education": "junior",
                        "health": "healthy",
                        "labour": "ordinary",
                        "work_status": "out_of_province",
                        "work_months": 10,
                    },
                    {
                        "name": "李小红",
                        "relation": "granddaughter",
                        "id_number": pid("20120301", 22),
                        "education": "primary",
                        "school_status": "primary",
                        "health": "disabled",
                    },
                ],
            ),
            (
                {
                    "number": "5201020020030002",
                    "county_code": "520102000000",
                    "township_code": "520102002000",
                    "village_code": "520102002003",
                    "phone": "0851-87654321",
                    "category": "dibao",
                    "main_cause": "disability",
                    "housing_area": 0,
                    "danger_grade": "A",
                    "status": "lifted",
                },
                [
                    {
                        "name": "张三",
                        "relation": "head",
                        "id_number": disability_card(),
                        "ethnicity": "15",
                        "labour": "weak",
                    },
                    {
                        "name": "刘梅",
                        "relation": "spouse",
                        "id_number": pid("19760707", 44),
                        "gender": "F",
                    },
                ],
            ),
            (
                {
                    "number": "X-3",
                    "village_code": village,
                    "township_code": "520102001000",
                    "county_code": "520102000000",
                    "status": "identifying",
                },
                [{"name": "陈五", "relation": "head", "id_number": None, "gender": "M"}],
            ),
        ]
        ids = [create_household(uow, values, members) for values, members in specs]
        save_income(uow, ids[0], 2022, {"wage": 800, "business": 100})
        save_income(
            uow,
            ids[0],
            2023,
            {
                "wage": 1200.5,
                "business": 3000,
                "property": 12,
                "transfer": -40,
                "business_cost": 900,
            },
        )
        save_income(uow, ids[1], 2023, {"transfer": 5400})
        assign_helper(uow, ids[0], helper_b, date(2020, 1, 1))
        assign_helper(uow, ids[0], helper_a, date(2023, 5, 1))  # the current one
        assign_helper(uow, ids[1], helper_b, date(2021, 3, 1))
        gone = add_member(
            uow, ids[1], {"name": "张老汉", "relation": "father", "id_number": pid("19400101", 11)}
        )
        member_leaves(uow, gone, "died", date(2023, 1, 2))


def cell_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = load_workbook(path)
    return {name: list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames}


def test_export_import_export_gives_identical_cells(
    tmp_path: Path, db: Database, village: str
) -> None:
    demo_like(db, village)
    first = tmp_path / "first.xlsx"
    assert export_roster(db, first) == (3, 6)  # the member who died is not on the roster
    fresh = open_database(tmp_path / "fresh.db")
    try:
        report = import_roster(fresh, first, commit=True)
        assert report.ok and len(report.created) == 3, report.format_text()
        second = tmp_path / "second.xlsx"
        export_roster(fresh, second)
        assert cell_values(first) == cell_values(second)
        before = snapshot(fresh.path)
        again = import_roster(fresh, second, commit=True)
        assert again.change_log_entries == 0 and sorted(again.unchanged) == sorted(report.created)
        assert snapshot(fresh.path) == before
    finally:
        fresh.close()
    values = cell_values(first)
    household_row = dict(zip(values["户"][0], values["户"][1], strict=True))
    assert household_row["其他致贫原因"] == "缺技术、缺资金"
    assert household_row["行政村"] == "新寨村(520102001001)"
    assert household_row["年度"] == 2023 and household_row["工资性收入"] == 1200.5
    assert household_row["帮扶责任人"] == "李四" and household_row["危房等级"] == "C"
    assert household_row["饮水安全"] == "否" and household_row["状态"] == "未脱贫"


def test_importing_a_database_s_own_export_changes_nothing(
    tmp_path: Path, db: Database, village: str
) -> None:
    demo_like(db, village)
    path = tmp_path / "own.xlsx"
    export_roster(db, path)
    before = snapshot(db.path)
    report = import_roster(db, path, commit=True)
    assert report.change_log_entries == 0 and len(report.unchanged) == 3, report.format_text()
    assert snapshot(db.path) == before


def test_export_cells_are_text_where_excel_would_lose_digits(
    tmp_path: Path, db: Database, village: str
) -> None:
    demo_like(db, village)
    path = tmp_path / "out.xlsx"
    export_roster(db, path)
    workbook = load_workbook(path)
    members = workbook["成员"]
    headers = [c.value for c in members[1]]
    id_column = headers.index("公民身份号码") + 1
    for row in members.iter_rows(min_row=2):
        cell = row[id_column - 1]
        if cell.value is not None:
            assert cell.data_type == "s" and cell.number_format == "@"
    assert members.cell(row=1, column=1).font.b and members.freeze_panes == "A2"
    households = workbook["户"]
    assert households.column_dimensions["A"].width >= 18
    account = households.cell(row=2, column=[c.value for c in households[1]].index("银行账号") + 1)
    assert account.value == "6222020200112233445" and account.data_type == "s"


def test_export_one_village(tmp_path: Path, db: Database, village: str) -> None:
    demo_like(db, village)
    path = tmp_path / "village.xlsx"
    assert export_roster(db, path, village_codes=["520102002003"]) == (1, 2)
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == 3


def test_the_demo_county_round_trips(tmp_path: Path, db: Database) -> None:
    from desktop.core.demo import generate_demo

    generate_demo(db, 40, seed=5)
    first, second = tmp_path / "demo.xlsx", tmp_path / "again.xlsx"
    households, members = export_roster(db, first)
    assert households == 40 and members > 40
    fresh = open_database(tmp_path / "fresh.db")
    try:
        report = import_roster(fresh, first, commit=True)
        assert len(report.created) == 40 and not report.roster.errors, report.format_text()
        export_roster(fresh, second)
    finally:
        fresh.close()
    assert cell_values(first) == cell_values(second)
    before = snapshot(db.path)
    assert import_roster(db, first, commit=True).change_log_entries == 0
    assert snapshot(db.path) == before
