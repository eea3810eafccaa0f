"""Roster import: messy cells, problems reported with sheet/row/column/户编号, dry run changes
nothing, commit imports only valid households in one go, re-import is a no-op."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from roster_builder import (
    HOUSEHOLD_HEADERS,
    MEMBER_HEADERS,
    household,
    member,
    pid,
    snapshot,
    write_roster,
)
from sqlalchemy import text

from desktop.core.database import Database, open_database
from desktop.core.roster.importer import import_roster
from desktop.core.roster.reader import read_roster
from desktop.core.roster.report import ImportReport, RosterProblem
from desktop.core.services.households import create_household

HEAD = pid("19491231", 2)  # female
SON = pid("19800101", 11)  # male


def rows(db: Database, sql: str, **params: Any) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(text(sql), params).all())


def problems(report: ImportReport, code: str) -> list[RosterProblem]:
    return [p for p in report.problems if p.code == code]


def simple_roster(path: Path, number: str = "H001", **cells: Any) -> Path:
    return write_roster(
        path,
        [household(number, 户主姓名="王芳", **cells)],
        [member(number, "王芳", HEAD, 性别="女"), member(number, "李明", SON, "之子")],
    )


# ----------------------------------------------------------------------------- messy cells
def test_messy_cells_are_normalised_and_each_fix_is_noted(tmp_path: Path, db: Database) -> None:
    old15 = "520102800101123"  # a 15-digit number, upgraded to 18
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in pid("19900303", 21))
    spaced = pid("19950505", 31)
    spaced = f" {spaced[:6]} {spaced[6:14]} {spaced[14:]} "
    lower_x = next(pid("19880808", s) for s in range(1, 999, 2) if pid("19880808", s).endswith("X"))
    households = [
        household(
            "H001",
            户主姓名="王芳",
            联系电话="138 1234 5678",
            银行账号="6222 0202 0011 2233 445",
            住房面积=" 80.5 平方米",
            其他致贫原因="缺技术，缺资金",
            饮水安全="否",
            通生活用电="Y",
            年度=2023,
            工资性收入="1,200",
            生产经营性收入="１２００",
            财产性收入=" 3000 元",
            转移性收入=-50,
            生产经营性支出=0,
            帮扶责任人="李 四",
            帮扶单位="县农业局",
            帮扶责任人电话=13900001111,
        ),
        household(77, 户主姓名="赵六", 联系电话=13800001111.0),
    ]
    members = [
        member("H001", "王芳", HEAD.lower(), 性别="女", 务工时间="6个月"),
        member("H001", "王 小 明", full_width, "之子", 性别=None, 民族="苗"),
        member("H001", "王小红", spaced, "之女", 文化程度="小学", 在校生状况="初一"),
        member("H001", "王老四", lower_x.lower(), "其他", 健康状况="慢性病"),
        member(77, "赵六", int(old15), 性别="男", 劳动技能="弱劳动力"),
    ]
    path = write_roster(tmp_path / "messy.xlsx", households, members)
    report = import_roster(db, path, commit=True)

    assert report.ok, report.format_text()
    assert sorted(report.created) == ["77", "H001"]
    notes = {(p.sheet, p.row, p.column): p for p in report.problems if p.severity == "note"}
    assert notes[("户", 2, "联系电话")].value == "138 1234 5678"
    assert notes[("户", 2, "工资性收入")].message == "已把“1,200”读作 1200。"
    assert notes[("户", 2, "财产性收入")].household == "H001"
    assert ("成员", 3, "公民身份号码") in notes  # full-width digits
    assert ("成员", 3, "姓名") in notes  # 王 小 明 → 王小明
    assert ("成员", 6, "公民身份号码") in notes  # 15 digits upgraded
    assert ("户", 3, "户编号") not in notes  # an int household number is exact

    (hh,) = rows(db, "SELECT * FROM household WHERE number = 'H001'")
    assert hh.phone == "13812345678" and hh.bank_account == "6222020200112233445"
    assert hh.housing_area == 80.5 and hh.water_safe == 0 and hh.power_living == 1
    assert (hh.main_cause, hh.other_cause_1, hh.other_cause_2) == (
        "illness",
        "lack_skills",
        "lack_capital",
    )
    assert hh.head_name == "王芳" and hh.size == 4 and hh.status == "poor"
    (income,) = rows(db, "SELECT * FROM income WHERE household_id = :h", h=hh.id)
    assert (income.year, income.wage, income.business, income.property, income.transfer) == (
        2023,
        1200,
        1200,
        3000,
        -50,
    )
    people = {
        r.name: r
        for r in rows(
            db, "SELECT * FROM member WHERE household_id = :h ORDER BY sort_order", h=hh.id
        )
    }
    assert list(people) == ["王芳", "王小明", "王小红", "王老四"]
    assert people["王芳"].id_number == HEAD and people["王芳"].work_months == 6
    assert people["王小明"].id_number == pid("19900303", 21)
    assert people["王小明"].gender == "M" and people["王小明"].ethnicity == "06"
    assert people["王小明"].birth_date == "1990-03-03"
    assert people["王小红"].id_number == pid("19950505", 31)
    assert people["王小红"].school_status == "grade7"
    assert people["王老四"].id_number == lower_x and people["王老四"].health == "chronic"
    (zhao,) = rows(
        db,
        "SELECT m.* FROM member m JOIN household h ON h.id = m.household_id WHERE h.number = '77'",
    )
    assert zhao.id_number == "520102198001011233"[:0] + zhao.id_number  # stored as 18 digits
    assert len(zhao.id_number) == 18 and zhao.id_number.startswith("52010219800101123")
    assert zhao.labour == "weak"
    (helper,) = rows(db, "SELECT * FROM helper")
    assert (helper.name, helper.unit, helper.phone) == ("李四", "县农业局", "13900001111")


def test_headers_in_any_order_with_extra_columns_and_a_title_row(
    tmp_path: Path, db: Database
) -> None:
    rng = random.Random(4)
    hh_headers = [*HOUSEHOLD_HEADERS, "备注", "脱贫年度"]
    rng.shuffle(hh_headers)
    mb_headers = [h if h != "公民身份号码" else "身份证号码 *" for h in MEMBER_HEADERS] + [
        "联系方式"
    ]
    rng.shuffle(mb_headers)
    hh_headers = [h if h != "住房面积" else "住房面积（m²）" for h in hh_headers]
    row = household("H001", 户主姓名="王芳", 备注="无")
    row["住房面积（m²）"] = 66
    mb = member("H001", "王芳", None, 性别="女")
    mb["身份证号码 *"] = HEAD
    path = write_roster(
        tmp_path / "shuffled.xlsx", [row], [mb], hh_headers, mb_headers, title_rows=1
    )
    report = import_roster(db, path, commit=True)
    assert report.created == ["H001"], report.format_text()
    unknown = problems(report, "column.unknown")
    assert {(p.sheet, p.column, p.row) for p in unknown} == {
        ("户", "备注", 2),
        ("户", "脱贫年度", 2),
        ("成员", "联系方式", 2),
    }
    assert all(p.severity == "warning" for p in unknown)
    (hh,) = rows(db, "SELECT housing_area, village_code FROM household")
    assert hh.housing_area == 66 and hh.village_code == "520102001001"
    assert rows(db, "SELECT id_number FROM member")[0].id_number == HEAD


# ----------------------------------------------------------------------------- dry run
def test_dry_run_reports_and_changes_nothing(tmp_path: Path, db: Database, village: str) -> None:
    path = simple_roster(tmp_path / "r.xlsx")
    before = snapshot(db.path)
    report = import_roster(db, path)
    assert not report.committed and report.created == ["H001"]
    assert report.change_log_entries == 0
    assert snapshot(db.path) == before


# ----------------------------------------------------------------------------- errors skip households
def test_a_household_with_any_error_is_skipped_whole_and_the_rest_goes_in(
    tmp_path: Path, db: Database, village: str
) -> None:
    households = [
        household("H001", 户主姓名="王芳"),
        household("H002", 户主姓名="张三", 住房面积="很大"),
        household("H003", 户主姓名="陈五"),
        household("H004", 户主姓名="周七", 主要致贫原因="因懒"),
    ]
    members = [
        member("H001", "王芳", HEAD),
        member("H002", "张三", pid("19700101", 31)),
        member("H003", "陈五", pid("19710101", 31)),
        member("H003", "陈小五", 520102200001011235.0, "之子"),  # Excel float: digits lost
        member("H004", "周七", pid("19720101", 31)),
        member("H009", "孤儿", pid("19730101", 31)),  # no 户 row
    ]
    path = write_roster(tmp_path / "r.xlsx", households, members)
    report = import_roster(db, path, commit=True)
    assert report.created == ["H001"]
    assert sorted(report.skipped) == ["H002", "H003", "H004"]
    assert not report.ok
    by_code = {p.code: p for p in report.problems if p.severity == "error"}
    area = by_code["number.format"]
    assert (area.sheet, area.row, area.column, area.household, area.value) == (
        "户",
        3,
        "住房面积",
        "H002",
        "很大",
    )
    lost = by_code["id.excel_number"]
    assert (lost.sheet, lost.row, lost.column, lost.household) == (
        "成员",
        5,
        "公民身份号码",
        "H003",
    )
    assert lost.value == "5.20102200001011e+17"
    cause = by_code["code.unknown"]
    assert (cause.column, cause.household, cause.value) == ("主要致贫原因", "H004", "因懒")
    assert "因病" in cause.message
    orphan = by_code["member.orphan"]
    assert (orphan.sheet, orphan.row, orphan.household) == ("成员", 7, "H009")
    assert [r.number for r in rows(db, "SELECT number FROM household")] == ["H001"]
    assert len(rows(db, "SELECT * FROM member")) == 1


def test_duplicate_numbers_and_ids_in_the_file_are_refused(
    tmp_path: Path, db: Database, village: str
) -> None:
    shared = pid("19600101", 51)
    households = [household(n) for n in ("H001", "H001", "H002", "H003", "H004")]
    members = [
        member("H001", "甲", pid("19610101", 51)),
        member("H002", "乙", shared),
        member("H003", "丙", shared),
        member("H004", "丁", pid("19620101", 51)),
    ]
    path = write_roster(tmp_path / "dup.xlsx", households, members)
    report = import_roster(db, path, commit=True)
    assert report.created == ["H004"]
    duplicate_rows = [p.row for p in problems(report, "number.duplicate")]
    assert duplicate_rows == [2, 3]
    id_rows = sorted(p.row or 0 for p in problems(report, "id.duplicate_in_file"))
    assert id_rows == [3, 4]


def test_an_id_already_registered_in_another_household_is_refused(
    tmp_path: Path, db: Database, village: str
) -> None:
    with db.unit_of_work() as uow:
        create_household(
            uow,
            {"number": "OLD1", "village_code": village},
            [{"name": "王芳", "relation": "head", "id_number": HEAD}],
        )
    path = simple_roster(tmp_path / "r.xlsx", "NEW1")
    report = import_roster(db, path, commit=True)
    assert report.skipped == ["NEW1"] and report.created == []
    (clash,) = problems(report, "id.duplicate_in_db")
    assert "OLD1" in clash.message and clash.row == 2 and clash.column == "公民身份号码"


def test_heads_members_and_causes_are_checked(tmp_path: Path, db: Database, village: str) -> None:
    households = [
        household("NOHEAD"),
        household("TWOHEADS"),
        household("EMPTY"),
        household("CAUSES", 其他致贫原因="因学 缺水;缺资金"),
        household("NAME", 户主姓名="别人"),
    ]
    members = [
        member("NOHEAD", "甲", pid("19610101", 51), "配偶"),
        member("TWOHEADS", "乙", pid("19620101", 51)),
        member("TWOHEADS", "丙", pid("19630101", 51)),
        member("CAUSES", "丁", pid("19640101", 51)),
        member("NAME", "戊", pid("19650101", 51)),
    ]
    report = import_roster(db, write_roster(tmp_path / "r.xlsx", households, members), commit=True)
    assert report.created == ["NAME"]
    codes = {p.code for p in report.problems}
    assert {"household.no_head", "household.two_heads", "household.no_members"} <= codes
    assert "causes.too_many" in codes
    (mismatch,) = problems(report, "household.head_name")
    assert mismatch.severity == "warning" and "戊" in mismatch.message
    assert rows(db, "SELECT head_name FROM household")[0].head_name == "戊"


def test_missing_sheet_or_required_column_blocks_everything(tmp_path: Path, db: Database) -> None:
    path = write_roster(
        tmp_path / "nosheet.xlsx",
        [household("H001")],
        [member("H001", "王芳", HEAD)],
        sheet_names=("户", "Sheet2"),
    )
    before = snapshot(db.path)
    report = import_roster(db, path, commit=True)
    assert report.roster.blocking and report.created == [] and report.skipped == ["H001"]
    (missing,) = problems(report, "sheet.missing")
    assert missing.sheet == "成员" and "Sheet2" in missing.message
    headers = [h for h in HOUSEHOLD_HEADERS if h != "行政村"]
    path = write_roster(
        tmp_path / "nocol.xlsx", [household("H001")], [member("H001", "王芳", HEAD)], headers
    )
    report = import_roster(db, path, commit=True)
    (column,) = problems(report, "column.missing")
    assert "行政村" in column.message and column.row == 1
    assert report.created == []
    assert snapshot(db.path) == before


# ----------------------------------------------------------------------------- updates
def test_reimport_updates_existing_households_and_the_same_file_twice_writes_nothing(
    tmp_path: Path, db: Database, village: str
) -> None:
    first = simple_roster(
        tmp_path / "a.xlsx",
        年度=2023,
        工资性收入=1000,
        帮扶责任人="李四",
        帮扶责任人电话="13900001111",
    )
    assert import_roster(db, first, commit=True).created == ["H001"]
    again = import_roster(db, first, commit=True)
    assert again.unchanged == ["H001"] and again.change_log_entries == 0

    second = write_roster(
        tmp_path / "b.xlsx",
        [
            household(
                "H001",
                户主姓名="王芳",
                联系电话="13999998888",
                年度=2023,
                工资性收入=1500,
                帮扶责任人="赵七",
            )
        ],
        [
            member("H001", "王芳", HEAD, 性别="女", 健康状况="残疾"),
            member("H001", "李明", SON, "之子"),
            member("H001", "李小花", pid("20100101", 22), "之孙女"),
        ],
    )
    before = snapshot(db.path)["change_log"]
    report = import_roster(db, second, commit=True)
    assert report.updated == ["H001"] and report.members_added == 1 and report.members_updated == 1
    (hh,) = rows(db, "SELECT * FROM household")
    assert hh.phone == "13999998888" and hh.size == 3
    assert rows(db, "SELECT wage FROM income")[0].wage == 1500
    helpers = rows(
        db,
        "SELECT h.name FROM helper_assignment a JOIN helper h ON h.id = a.helper_id ORDER BY a.created_hlc",
    )
    assert [h.name for h in helpers] == ["李四", "赵七"]  # a new dated line, history kept
    fields = {
        (r.tbl, r.field)
        for r in rows(db, "SELECT tbl, field FROM change_log WHERE rowid > :n", n=before)
    }
    assert ("household", "phone") in fields and ("member", "health") in fields
    assert ("income", "wage") in fields and ("household", "size") in fields
    assert import_roster(db, second, commit=True).change_log_entries == 0


def test_a_blank_id_cell_does_not_erase_a_recorded_id(
    tmp_path: Path, db: Database, village: str
) -> None:
    import_roster(db, simple_roster(tmp_path / "a.xlsx"), commit=True)
    path = write_roster(
        tmp_path / "b.xlsx",
        [household("H001", 户主姓名="王芳")],
        [member("H001", "王芳", None, 性别="女"), member("H001", "李明", SON, "之子")],
    )
    report = import_roster(db, path, commit=True)
    assert report.unchanged == ["H001"], report.format_text()
    assert {r.id_number for r in rows(db, "SELECT id_number FROM member")} == {HEAD, SON}


def test_members_missing_from_the_roster_are_kept_and_reported(
    tmp_path: Path, db: Database, village: str
) -> None:
    import_roster(db, simple_roster(tmp_path / "a.xlsx"), commit=True)
    path = write_roster(
        tmp_path / "b.xlsx",
        [household("H001", 户主姓名="王芳")],
        [member("H001", "王芳", HEAD, 性别="女")],
    )
    report = import_roster(db, path, commit=True)
    (kept,) = problems(report, "member.not_in_roster")
    assert "李明" in kept.message and kept.severity == "warning"
    assert len(rows(db, "SELECT * FROM member WHERE left_reason IS NULL")) == 2


# ----------------------------------------------------------------------------- regions, helpers
def test_regions_by_name_by_code_and_synthetic_codes_are_stable(
    tmp_path: Path, db: Database, village: str
) -> None:
    households = [
        household("H1", 县="示范县", 乡镇="红岩镇", 行政村="新寨村", 村民小组="一组"),
        household(
            "H2", 县="示范县", 乡镇="红岩镇", 行政村="新寨村（520102001001）", 村民小组="3组"
        ),
        household("H3", 县="示范县", 乡镇="红岩镇", 行政村="老寨村", 村民小组="第十二组"),
        household("H4", 县="示范县", 乡镇="红岩镇", 行政村="999999999999", 村民小组=None),
    ]
    members = [member(f"H{i}", f"人{i}", pid("19700101", 2 * i + 1)) for i in range(1, 5)]
    path = write_roster(tmp_path / "r.xlsx", households, members)
    report = import_roster(db, path, commit=True)
    assert sorted(report.created) == ["H1", "H2", "H3"] and report.skipped == ["H4"]
    codes = {r.number: r for r in rows(db, "SELECT * FROM household")}
    assert codes["H1"].village_code == "520102001001" and codes["H1"].group_code == "52010200100101"
    assert codes["H2"].group_code == "52010200100103" and codes["H2"].county_code == "520102000000"
    new_village = codes["H3"].village_code
    assert new_village.startswith("99") and len(new_village) == 12
    assert codes["H3"].group_code == new_village + "12"
    created = [p for p in report.problems if p.code == "region.created"]
    assert {p.column for p in created} == {"村民小组", "行政村"}
    assert problems(report, "region.unknown_code")[0].household == "H4"
    # Two laptops starting from empty databases derive the same codes from the same names.
    codes_seen = []
    for name in ("a.db", "b.db"):
        other = open_database(tmp_path / name)
        try:
            import_roster(other, path, commit=True)
            with other.read() as conn:
                codes_seen.append(
                    conn.execute(text("SELECT code, name FROM region ORDER BY code")).all()
                )
        finally:
            other.close()
    assert codes_seen[0] == codes_seen[1] and len(codes_seen[0]) == 7


def test_helpers_are_reused_by_name_and_phone(tmp_path: Path, db: Database, village: str) -> None:
    households = [
        household(f"H{i}", 帮扶责任人="李四", 帮扶单位="县农业局", 帮扶责任人电话="13900001111")
        for i in range(3)
    ] + [household("H9", 帮扶责任人="李四", 帮扶责任人电话="13700001111")]
    members = [member(f"H{i}", f"人{i}", pid("19700101", 2 * i + 1)) for i in (0, 1, 2, 9)]
    report = import_roster(db, write_roster(tmp_path / "r.xlsx", households, members), commit=True)
    assert report.helpers_created == 2
    assert len(rows(db, "SELECT * FROM helper_assignment")) == 4


def test_progress_is_reported(tmp_path: Path, db: Database, village: str) -> None:
    seen: list[tuple[int, int]] = []
    import_roster(
        db,
        simple_roster(tmp_path / "r.xlsx"),
        commit=True,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (1, 1)


def test_read_roster_needs_no_database(tmp_path: Path) -> None:
    report = read_roster(simple_roster(tmp_path / "r.xlsx"))
    assert [h.number for h in report.valid()] == ["H001"]
    assert [m.values["name"] for m in report.households[0].members] == ["王芳", "李明"]
    assert report.households[0].members[1].values["gender"] == "M"  # from the ID number


def test_a_row_the_services_refuse_at_commit_is_skipped_not_fatal(
    tmp_path: Path, db: Database, village: str, monkeypatch: Any
) -> None:
    """Cell checks normally catch everything; if a service validator still refuses a row, the
    transaction is redone with every row validated first and only that household is skipped."""
    from desktop.core.services import uow as uow_module
    from desktop.core.services.errors import FieldProblem

    def no_bank_of_china(uow: Any, table: str, row: dict[str, Any], current: Any) -> list[Any]:
        if row.get("bank_name") == "中国银行":
            return [FieldProblem("bank_name", "测试：不接受这家银行。")]
        return []

    validators = uow_module._VALIDATORS["household"]
    monkeypatch.setitem(uow_module._VALIDATORS, "household", [*validators, no_bank_of_china])
    households = [household("H1", 开户银行="中国银行"), household("H2", 开户银行="农村信用社")]
    members = [member("H1", "甲", pid("19610101", 51)), member("H2", "乙", pid("19620101", 51))]
    report = import_roster(db, write_roster(tmp_path / "r.xlsx", households, members), commit=True)
    assert report.created == ["H2"] and report.skipped == ["H1"]
    (refused,) = [p for p in report.problems if p.message == "测试：不接受这家银行。"]
    assert (refused.row, refused.column, refused.household) == (2, "开户银行", "H1")
    # The rolled-back first attempt left no gap in the change-log sequence.
    with db.read() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM change_log ORDER BY seq"))]
    assert seqs == list(range(1, len(seqs) + 1))


def test_values_only_the_model_refuses_are_reported_with_their_column(
    tmp_path: Path, db: Database, village: str
) -> None:
    """开户银行 holds at most 60 characters in the database; the cell reader allows 80."""
    households = [household("H1", 开户银行="农" * 70), household("H2")]
    members = [member("H1", "甲", pid("19610101", 51)), member("H2", "乙", pid("19620101", 51))]
    path = write_roster(tmp_path / "r.xlsx", households, members)
    dry = import_roster(db, path)
    commit = import_roster(db, path, commit=True)
    for report in (dry, commit):
        assert report.created == ["H2"] and report.skipped == ["H1"]
    (too_long,) = [p for p in commit.problems if p.column == "开户银行"]
    assert too_long.row == 2 and too_long.message == "内容太长。"
