"""Read a roster file into households with their members, and report every problem found.

Nothing here touches a database: ``read_roster`` is what both ``doorstep import`` and the county's
``doorstep-county import`` run first, and what a dry run shows. Checks that need the database
(ID numbers already registered elsewhere, regions) happen in planner.py; checks across rows in
consistency.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop.core.i18n import _, current_language, set_language
from desktop.core.roster import cells
from desktop.core.roster.columns import (
    COLUMNS,
    HOUSEHOLD_SHEET,
    MEMBER_SHEET,
    Column,
    column_for,
    sheet_kind,
)
from desktop.core.roster.consistency import attach_members, check_households
from desktop.core.roster.report import (
    HouseholdRecord,
    MemberRecord,
    ProblemLog,
    RosterProblem,
    RosterReport,
    Sheet,
)
from desktop.core.roster.xlsx import CellValue, RosterFileError, Workbook
from desktop.core.rules import idnumber

HEADER_SCAN_ROWS = 10  # title rows above the header ("XX县建档立卡贫困户花名册") are skipped


def read_roster(path: str | Path, helper: Executor | None = None) -> RosterReport:
    """Read and check a roster .xlsx. Raises RosterFileError when it is not a readable .xlsx.

    With ``helper`` (a process pool, see helper_process.py) the household sheet is parsed there
    while this process parses the member sheet; the result is the same either way."""
    path = Path(path)
    report = RosterReport(path)
    problems = ProblemLog(report)
    with Workbook(path) as workbook:
        found: dict[str, str] = {}
        for title in workbook.sheet_names:
            kind = sheet_kind(title)
            if kind is not None and kind not in found:
                found[kind] = title
        for kind in (HOUSEHOLD_SHEET, MEMBER_SHEET):
            if kind not in found:
                report.blocking = True
                problems.add(
                    cells.Issue(
                        "error",
                        "sheet.missing",
                        _(
                            "名册中没有“{sheet}”工作表（现有：{names}）。"
                            "请按模板提供“户”和“成员”两个工作表。"
                        ).format(sheet=kind, names="、".join(workbook.sheet_names) or _("无")),
                    ),
                    kind,
                    None,
                    None,
                    None,
                )
        # With a helper the household sheet is read there while this process reads the member
        # sheet (the larger one: reading it here spares sending ~40,000 records across).
        away = None
        if helper is not None and HOUSEHOLD_SHEET in found:
            away = _submit(helper, path, HOUSEHOLD_SHEET, found[HOUSEHOLD_SHEET])
        member_sheet = (
            read_sheet(workbook, MEMBER_SHEET, found[MEMBER_SHEET])
            if MEMBER_SHEET in found
            else None
        )
        household_sheet = _collect(away) if away is not None else None
        if household_sheet is None and HOUSEHOLD_SHEET in found:
            household_sheet = read_sheet(workbook, HOUSEHOLD_SHEET, found[HOUSEHOLD_SHEET])
    members: list[MemberRecord] = []
    for part in (household_sheet, member_sheet):  # in this order, as one process would find them
        if part is None:
            continue
        if part.kind == HOUSEHOLD_SHEET:
            report.household_sheet = part.sheet
            report.households = part.records  # type: ignore[assignment]
        else:
            report.member_sheet = part.sheet
            members = part.records  # type: ignore[assignment]
        report.blocking = report.blocking or part.blocking
        report.unknown_columns.update(part.unknown_columns)
        for problem in part.problems:
            problems.add_found(problem)
    report.household_rows = len(report.households)
    report.member_rows = len(members)
    if report.blocking:
        for household in report.households:
            household.failed = True
    attach_members(report, members, problems)
    check_households(report, problems)
    return report


@dataclass
class SheetRead:
    """One sheet read on its own (possibly in another process): plain, picklable data."""

    kind: str
    sheet: Sheet | None
    records: list[HouseholdRecord] | list[MemberRecord]
    problems: list[RosterProblem]
    blocking: bool
    unknown_columns: dict[str, list[str]]


def read_sheet(workbook: Workbook, kind: str, title: str) -> SheetRead:
    report = RosterReport(workbook.path)
    problems = ProblemLog(report)
    rows = workbook.rows(title)
    sheet = _header(kind, title, rows, problems)
    records: list[HouseholdRecord] | list[MemberRecord] = []
    if sheet is not None:
        read = _read_households if kind == HOUSEHOLD_SHEET else _read_members
        records = read(sheet, rows, problems)
    return SheetRead(kind, sheet, records, report.problems, report.blocking, report.unknown_columns)


def sheet_of_file(path: Path, kind: str, title: str, language: str) -> SheetRead:
    """In the helper process: read one sheet (its messages in the caller's language) and drop
    what cannot cross processes."""
    set_language(language)
    with Workbook(path) as workbook:
        found = read_sheet(workbook, kind, title)
    if found.sheet is not None:
        found.sheet = replace(found.sheet, cache={}, readers=[])
    return found


def _submit(helper: Executor, path: Path, kind: str, title: str) -> Future[SheetRead] | None:
    try:
        return helper.submit(sheet_of_file, path, kind, title, current_language())
    except RuntimeError:  # the pool could not start a process
        return None


def _collect(future: Future[SheetRead]) -> SheetRead | None:
    """The helper's sheet; a file problem it met is re-raised here, any other failure of the
    helper (it died, could not import) means reading the sheet here instead."""
    try:
        return future.result()
    except RosterFileError:
        raise
    except Exception:
        return None


def _header(
    kind: str, title: str, rows: Iterator[tuple[int, list[CellValue]]], problems: ProblemLog
) -> Sheet | None:
    """Find the header row (the first of the top rows that names template columns)."""
    best: tuple[int, list[CellValue]] | None = None
    for scanned, (number, values) in enumerate(rows):
        known = sum(1 for v in values if column_for(kind, v) is not None)
        if known >= 2:
            best = (number, values)
            break
        if scanned + 1 >= HEADER_SCAN_ROWS:
            break
    if best is None:
        problems.report.blocking = True
        problems.add(
            cells.Issue(
                "error",
                "sheet.no_header",
                _(
                    "“{sheet}”表的前{n}行里找不到表头（如“户编号”“姓名”）。请按模板填写表头。"
                ).format(sheet=title, n=HEADER_SCAN_ROWS),
            ),
            kind,
            None,
            None,
            None,
        )
        return None
    number, values = best
    columns: dict[int, Column] = {}
    used: set[str] = set()
    unknown: list[str] = []
    for index, header in enumerate(values):
        if cells.blank(header):
            continue
        column = column_for(kind, header)
        if column is None:
            unknown.append(str(header).strip())
            problems.add(
                cells.Issue("warning", "column.unknown", _("不认识这一列，已忽略。")),
                kind,
                number,
                str(header).strip(),
                None,
            )
            continue
        if column.target in used:
            problems.add(
                cells.Issue(
                    "warning",
                    "column.duplicate",
                    _("“{header}”列重复出现，只读取第一列。").format(header=column.header),
                ),
                kind,
                number,
                str(header).strip(),
                None,
            )
            continue
        used.add(column.target)
        columns[index] = column
    if unknown:
        problems.report.unknown_columns[kind] = unknown
    missing = [c.header for c in COLUMNS[kind] if c.required and c.target not in used]
    if missing:
        problems.report.blocking = True
        problems.add(
            cells.Issue(
                "error",
                "column.missing",
                _("“{sheet}”表缺少必需的列：{columns}。").format(
                    sheet=title, columns="、".join(missing)
                ),
            ),
            kind,
            number,
            None,
            None,
        )
        return None
    sheet = Sheet(kind, title, number, columns, frozenset(used))
    sheet.readers = [
        (index, column, _READERS[column.kind], column.kind in _CACHED_KINDS)
        for index, column in columns.items()
    ]
    return sheet


Reader = Callable[[Column, CellValue], cells.Read]

_READERS: dict[str, Reader] = {
    "household_number": lambda c, v: cells.household_number(v),
    "region": lambda c, v: cells.region(v),
    "name": lambda c, v: cells.name(v),
    "text": lambda c, v: cells.text(v, 80),
    "phone": lambda c, v: cells.phone(v),
    "bank": lambda c, v: cells.bank_account(v),
    "code": lambda c, v: cells.code(c.code_kind or "", v),
    "causes": lambda c, v: cells.causes(v),
    "area": lambda c, v: cells.number(v, c.header, 0, 100_000),
    "yes_no": lambda c, v: cells.yes_no(v, c.header),
    "year": lambda c, v: cells.year(v, c.header),
    "money": lambda c, v: cells.number(v, c.header, 0, 100_000_000),
    "signed_money": lambda c, v: cells.number(v, c.header, -100_000_000, 100_000_000),
    "id_number": lambda c, v: cells.id_number(v),
    "months": lambda c, v: cells.whole_number(v, c.header, 0, 12),
}


# Kinds whose reading depends on the cell alone and whose values repeat down a column (labels,
# place names, amounts): each distinct value is read once per file.
_CACHED_KINDS = frozenset(
    {
        "code",
        "causes",
        "region",
        "yes_no",
        "area",
        "money",
        "signed_money",
        "months",
        "year",
        "text",
    }
)


def _cells(sheet: Sheet, values: list[CellValue]) -> list[tuple[Column, CellValue, cells.Read]]:
    """Every template cell of a row, read (a list: this runs once per row of a large file)."""
    cache = sheet.cache
    width = len(values)
    found = []
    for index, column, reader, cached in sheet.readers:
        raw = values[index] if index < width else None
        if cached:
            key = (index, raw.__class__, raw)
            read = cache.get(key)
            if read is None:
                read = cache[key] = reader(column, raw)
        else:
            read = reader(column, raw)
        found.append((column, raw, read))
    return found


def _read_households(
    sheet: Sheet, rows: Iterator[tuple[int, list[CellValue]]], problems: ProblemLog
) -> list[HouseholdRecord]:
    records: list[HouseholdRecord] = []
    number_index = next(i for i, c in sheet.columns.items() if c.field == "number")
    for row, values in rows:
        if all(cells.blank(v) for v in values):
            continue
        raw_number = values[number_index] if number_index < len(values) else None
        number_read = cells.household_number(raw_number)
        record = HouseholdRecord(row, number_read.value)
        income: dict[str, Any] = {}
        helper: dict[str, Any] = {}
        for column, raw, read in _cells(sheet, values):
            for issue in read.issues:
                problems.add(issue, sheet.kind, row, column.header, record.number, raw, record)
            table, name = column.table, column.field
            if table == "region":
                record.regions[name] = read.value
            elif name == "head_name":
                record.head_name = read.value
            elif name == "other_causes":
                found = read.value or []
                record.values["other_cause_1"] = found[0] if found else None
                record.values["other_cause_2"] = found[1] if len(found) > 1 else None
            elif table == "household":
                record.values[name] = read.value
            elif table == "income":
                income[name] = read.value
            elif table == "helper":
                helper[name] = read.value
        if "status" in record.values and record.values["status"] is None:
            del record.values["status"]  # blank status: keep the household's (or the default)
        main = record.values.get("main_cause")
        if main and main in (
            record.values.get("other_cause_1"),
            record.values.get("other_cause_2"),
        ):
            problems.add(
                cells.Issue(
                    "warning",
                    "household.cause_repeat",
                    _("其他致贫原因不能与主要致贫原因相同。"),
                ),
                sheet.kind,
                row,
                "其他致贫原因",
                record.number,
            )
        _income(record, income, sheet, problems)
        _helper(record, helper, sheet, problems)
        records.append(record)
    return records


def _income(
    record: HouseholdRecord, income: dict[str, Any], sheet: Sheet, problems: ProblemLog
) -> None:
    year = income.pop("year", None)
    amounts = {k: v for k, v in income.items()}
    if year is None:
        if any(v not in (None, 0) for v in amounts.values()):
            problems.add(
                cells.Issue("error", "income.no_year", _("填写了收入，但没有填年度。")),
                sheet.kind,
                record.row,
                "年度",
                record.number,
                None,
                record,
            )
        return
    record.income = {"year": year, **{k: (v if v is not None else 0.0) for k, v in amounts.items()}}


def _helper(
    record: HouseholdRecord, helper: dict[str, Any], sheet: Sheet, problems: ProblemLog
) -> None:
    if helper.get("name"):
        record.helper = {
            "name": helper["name"],
            "unit": helper.get("unit"),
            "phone": helper.get("phone"),
        }
    elif helper.get("unit") or helper.get("phone"):
        problems.add(
            cells.Issue(
                "warning",
                "helper.no_name",
                _("填写了帮扶单位或电话，但没有帮扶责任人姓名，已忽略。"),
            ),
            sheet.kind,
            record.row,
            "帮扶责任人",
            record.number,
        )


def _read_members(
    sheet: Sheet, rows: Iterator[tuple[int, list[CellValue]]], problems: ProblemLog
) -> list[MemberRecord]:
    records: list[MemberRecord] = []
    for row, values in rows:
        if all(cells.blank(v) for v in values):
            continue
        record = MemberRecord(row, None)
        pending: list[tuple[cells.Issue, str, CellValue]] = []
        for column, raw, read in _cells(sheet, values):
            pending.extend((issue, column.header, raw) for issue in read.issues)
            if column.field == "household_number":
                record.household_number = read.value
            else:
                record.values[column.field] = read.value
        for issue, header, raw in pending:
            problems.add(issue, sheet.kind, row, header, record.household_number, raw, record)
        if not record.values.get("name"):
            problems.add(
                cells.Issue("error", "member.name", _("姓名为空。")),
                sheet.kind,
                row,
                "姓名",
                record.household_number,
                None,
                record,
            )
        if not record.values.get("relation") and "relation" in record.values:
            problems.add(
                cells.Issue("error", "member.relation", _("与户主关系为空（户主本人填“户主”）。")),
                sheet.kind,
                row,
                "与户主关系",
                record.household_number,
                None,
                record,
            )
        _fill_from_id(record, sheet, problems)
        records.append(record)
    return records


def _fill_from_id(record: MemberRecord, sheet: Sheet, problems: ProblemLog) -> None:
    """Birth date always follows a valid ID; a blank 性别 is filled from it; disagreement warns."""
    number = record.values.get("id_number")
    if not number:
        return
    record.values["birth_date"] = idnumber.birth_date_of(number)
    gender = record.values.get("gender")
    if gender is None:
        record.values["gender"] = idnumber.gender_of(number)
        return
    for problem in idnumber.compare_with_entered(number, gender, None):
        problems.add(
            cells.Issue("warning", problem.code, problem.message),
            sheet.kind,
            record.row,
            "性别",
            record.household_number,
            None,
        )
