"""Builds roster .xlsx files for the roster tests with openpyxl, the way Excel users leave them."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from desktop.core.roster.cli_command import register_roster_commands
from desktop.core.rules.idnumber import check_digit

HOUSEHOLD_HEADERS = [
    "户编号",
    "县",
    "乡镇",
    "行政村",
    "村民小组",
    "户主姓名",
    "联系电话",
    "开户银行",
    "银行账号",
    "贫困户属性",
    "识别标准",
    "主要致贫原因",
    "其他致贫原因",
    "住房面积",
    "危房等级",
    "饮水安全",
    "通生活用电",
    "年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "帮扶责任人",
    "帮扶单位",
    "帮扶责任人电话",
    "状态",
]
MEMBER_HEADERS = [
    "户编号",
    "姓名",
    "公民身份号码",
    "性别",
    "与户主关系",
    "民族",
    "文化程度",
    "在校生状况",
    "健康状况",
    "劳动技能",
    "务工状况",
    "务工时间",
]
SYNCED_TABLES = ("region", "household", "member", "income", "helper", "helper_assignment")


def pid(birth: str, sequence: int, area: str = "520102") -> str:
    """A valid 18-digit ID number (odd sequence = male)."""
    first17 = f"{area}{birth}{sequence:03d}"
    return first17 + check_digit(first17)


def household(number: Any, **cells: Any) -> dict[str, Any]:
    """A 户 row as header → value, with plausible defaults."""
    row: dict[str, Any] = {
        "户编号": number,
        "县": "示范县(520102000000)",
        "乡镇": "红岩镇(520102001000)",
        "行政村": "新寨村(520102001001)",
        "村民小组": "一组",
        "联系电话": "13812345678",
        "贫困户属性": "一般贫困户",
        "识别标准": "国家标准",
        "主要致贫原因": "因病",
        "住房面积": 80,
        "危房等级": "A",
        "饮水安全": "是",
        "通生活用电": "是",
        "状态": "未脱贫",
    }
    row.update(cells)
    return row


def member(
    number: Any, name: str, id_number: Any, relation: str = "户主", **cells: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "户编号": number,
        "姓名": name,
        "公民身份号码": id_number,
        "与户主关系": relation,
        "民族": "汉族",
        "健康状况": "健康",
    }
    row.update(cells)
    return row


def write_roster(
    path: Path,
    households: Sequence[dict[str, Any]],
    members: Sequence[dict[str, Any]],
    household_headers: Sequence[str] = HOUSEHOLD_HEADERS,
    member_headers: Sequence[str] = MEMBER_HEADERS,
    title_rows: int = 0,
    sheet_names: tuple[str, str] = ("户", "成员"),
) -> Path:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = sheet_names[0]
    second = workbook.create_sheet(sheet_names[1])
    for sheet, headers, rows in (
        (first, household_headers, households),
        (second, member_headers, members),
    ):
        for _ in range(title_rows):
            sheet.append(["示范县建档立卡贫困户花名册"])
        sheet.append(list(headers))
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def snapshot(db_path: Path) -> dict[str, Any]:
    """Every synced row and the change-log size, read with plain sqlite3."""
    conn = sqlite3.connect(db_path)
    try:
        data: dict[str, Any] = {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in SYNCED_TABLES
        }
        data["change_log"] = conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
        data["next_seq"] = conn.execute("SELECT next_seq FROM device_state").fetchone()[0]
    finally:
        conn.close()
    return data


def run_cli(*argv: str) -> int:
    """Run `doorstep import|export ...` through the same parser setup desktop/cli.py uses."""
    parser = argparse.ArgumentParser(prog="doorstep")
    subparsers = parser.add_subparsers(dest="command")
    register_roster_commands(subparsers)
    args = parser.parse_args(list(argv))
    return int(args.handler(args))
