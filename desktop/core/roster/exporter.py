"""Write the database out as the roster template, so export → import round-trips exactly.

One row per household (with its latest income year and current helper) on 户, one row per current
member on 成员. Codes are written as their Chinese labels; regions as '名称(代码)' so a re-import
lands on the same codes; ID numbers, phone and account numbers as text cells formatted '@' so
Excel never turns them into floats and loses digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import Connection, bindparam, select

from desktop.core import codes
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.models import metadata
from desktop.core.roster.columns import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    Column,
)

TABLES = metadata.tables
TEXT_KINDS = frozenset({"household_number", "id_number", "phone", "bank"})
ZH = "zh_CN"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


class RosterExportError(Exception):
    """The roster cannot be written; the message is a sentence for the user."""


def _plain_number(value: float | int | None) -> float | int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return "是" if value else "否"


def _label(kind: str, code: str | None) -> str | None:
    if code is None or code == "":
        return None
    if kind == "danger_grade":
        return code  # the template writes 危房等级 as A, B, C, D
    return codes.label(kind, code, ZH)


class _Lookup:
    """Everything an export needs besides the household rows, read once."""

    def __init__(self, conn: Connection, household_ids: Sequence[str]) -> None:
        self.regions = {
            r["code"]: r["name"] for r in conn.execute(select(TABLES["region"])).mappings()
        }
        ids = list(household_ids)
        self.income: dict[str, dict[str, Any]] = {}
        self.helper: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[dict[str, Any]]] = {}
        helpers = {
            h["id"]: dict(h)
            for h in conn.execute(
                select(TABLES["helper"]).where(TABLES["helper"].c.voided.is_(False))
            ).mappings()
        }
        for batch in _batches(ids, 900):
            self._read_batch(conn, batch, helpers)

    def _read_batch(self, conn: Connection, ids: list[str], helpers: dict[str, Any]) -> None:
        incomes = TABLES["income"]
        for row in conn.execute(
            select(incomes)
            .where(incomes.c.household_id.in_(bindparam("ids", expanding=True)))
            .where(incomes.c.voided.is_(False))
            .order_by(incomes.c.year),
            {"ids": ids},
        ).mappings():
            self.income[row["household_id"]] = dict(row)  # the last one is the latest year
        assignments = TABLES["helper_assignment"]
        for row in conn.execute(
            select(assignments)
            .where(assignments.c.household_id.in_(bindparam("ids", expanding=True)))
            .where(assignments.c.voided.is_(False))
            .order_by(assignments.c.start_date, assignments.c.created_hlc),
            {"ids": ids},
        ).mappings():
            helper = helpers.get(row["helper_id"])
            if helper is not None:
                self.helper[row["household_id"]] = helper
        members = TABLES["member"]
        for row in conn.execute(
            select(members)
            .where(members.c.household_id.in_(bindparam("ids", expanding=True)))
            .where(members.c.voided.is_(False))
            .where(members.c.left_reason.is_(None))
            .order_by(members.c.sort_order, members.c.created_hlc),
            {"ids": ids},
        ).mappings():
            self.members.setdefault(row["household_id"], []).append(dict(row))

    def region(self, code: str | None) -> str | None:
        if not code:
            return None
        name = self.regions.get(code)
        return f"{name}({code})" if name else code


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _household_cells(household: dict[str, Any], lookup: _Lookup) -> dict[str, Any]:
    """Cell values by column target for one household row."""
    income = lookup.income.get(household["id"]) or {}
    helper = lookup.helper.get(household["id"]) or {}
    others = [household.get("other_cause_1"), household.get("other_cause_2")]
    values: dict[str, Any] = {
        "household.number": household["number"],
        "region.county": lookup.region(household.get("county_code")),
        "region.township": lookup.region(household.get("township_code")),
        "region.village": lookup.region(household.get("village_code")),
        "region.group": lookup.region(household.get("group_code")),
        "household.head_name": household.get("head_name") or None,
        "household.other_causes": "、".join(_label("cause", c) or "" for c in others if c) or None,
        "income.year": income.get("year"),
        "helper.name": helper.get("name"),
        "helper.unit": helper.get("unit"),
        "helper.phone": helper.get("phone"),
    }
    for item in ("wage", "business", "property", "transfer", "business_cost"):
        values[f"income.{item}"] = _plain_number(income.get(item)) if income else None
    return values


def _cell_value(column: Column, row: dict[str, Any], prepared: dict[str, Any]) -> Any:
    if column.target in prepared:
        return prepared[column.target]
    value = row.get(column.field)
    if column.kind == "code":
        return _label(column.code_kind or "", value)
    if column.kind == "yes_no":
        return _yes_no(value)
    if column.kind in ("area", "money", "signed_money", "months"):
        return _plain_number(value)
    return value if value != "" else None


def _write_header(sheet: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
        cells.append(cell)
    sheet.append(cells)


def _row(sheet: WriteOnlyWorksheet, columns: Sequence[Column], values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for column, value in zip(columns, values, strict=True):
        if column.kind in TEXT_KINDS and value is not None:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.number_format = "@"
            out.append(cell)
        else:
            out.append(value)
    return out


def export_roster(
    db: Database, path: str | Path, village_codes: Iterable[str] | None = None
) -> tuple[int, int]:
    """Write the roster for all villages (or only ``village_codes``); returns (households,
    members) written. The file is written next to ``path`` first and then renamed, so a failed
    export never leaves half a file where a good one was."""
    path = Path(path)
    households_table = TABLES["household"]
    query = select(households_table).where(households_table.c.voided.is_(False))
    wanted = list(village_codes) if village_codes is not None else None
    if wanted is not None:
        query = query.where(households_table.c.village_code.in_(wanted))
    query = query.order_by(households_table.c.number)
    with db.read() as conn:
        households = [dict(r) for r in conn.execute(query).mappings()]
        lookup = _Lookup(conn, [h["id"] for h in households])

    workbook = Workbook(write_only=True)
    household_sheet = workbook.create_sheet(HOUSEHOLD_SHEET)
    member_sheet = workbook.create_sheet(MEMBER_SHEET)
    _write_header(household_sheet, HOUSEHOLD_COLUMNS)
    _write_header(member_sheet, MEMBER_COLUMNS)
    member_count = 0
    for household in households:
        prepared = _household_cells(household, lookup)
        values = [_cell_value(c, household, prepared) for c in HOUSEHOLD_COLUMNS]
        household_sheet.append(_row(household_sheet, HOUSEHOLD_COLUMNS, values))
        for member in lookup.members.get(household["id"], []):
            prepared = {"member.household_number": household["number"]}
            values = [_cell_value(c, member, prepared) for c in MEMBER_COLUMNS]
            member_sheet.append(_row(member_sheet, MEMBER_COLUMNS, values))
            member_count += 1
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(partial)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise RosterExportError(
            _("无法写入名册文件 {path}：{error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    return len(households), member_count
