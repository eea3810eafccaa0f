"""What an import found and did, in a form a cadre can act on and a script can parse.

Every problem names the sheet, the Excel row (1-based, the header row included, as Excel shows it),
the column header, the 户编号, the value as it was in the cell and one Chinese sentence. Errors keep
a household out of the import; warnings and notes ("what was fixed") do not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from desktop.core.i18n import _
from desktop.core.roster.cells import Issue
from desktop.core.roster.columns import Column

Severity = Literal["error", "warning", "note"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}


@dataclass(frozen=True)
class RosterProblem:
    severity: Severity
    code: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    household: str | None = None
    value: str | None = None

    def describe(self) -> str:
        """'[错误] 成员 第5行 公民身份号码（户编号 001）“123”：……'"""
        label = {"error": _("错误"), "warning": _("警告"), "note": _("说明")}[self.severity]
        where = [f"[{label}]"]
        if self.sheet:
            where.append(_("“{sheet}”表").format(sheet=self.sheet))
        if self.row:
            where.append(_("第{row}行").format(row=self.row))
        if self.column:
            where.append(self.column)
        text = " ".join(where)
        if self.household:
            text += _("（户编号 {number}）").format(number=self.household)
        if self.value not in (None, ""):
            text += _("“{value}”").format(value=self.value)
        return _("{where}：{message}").format(where=text, message=self.message)


def show_value(raw: object) -> str | None:
    """A cell value as the user typed it, for the report (floats as Excel would show them)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return _("是") if raw else _("否")
    if isinstance(raw, float):
        # Excel keeps 15 significant digits; show what it holds, not the binary float's tail.
        return format(raw, ".15g") if not raw.is_integer() or abs(raw) >= 1e15 else str(int(raw))
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw)


@dataclass
class MemberRecord:
    row: int
    household_number: str | None
    values: dict[str, Any] = field(default_factory=dict)  # member fields
    failed: bool = False


@dataclass
class HouseholdRecord:
    row: int
    number: str | None
    values: dict[str, Any] = field(default_factory=dict)  # household fields from the file
    regions: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    head_name: str | None = None
    income: dict[str, Any] | None = None
    helper: dict[str, Any] | None = None
    members: list[MemberRecord] = field(default_factory=list)
    failed: bool = False


@dataclass
class Sheet:
    """One template sheet as found in the file."""

    kind: str
    title: str  # the worksheet's name in the file
    header_row: int
    columns: dict[int, Column]  # index in the row → template column
    present: frozenset[str]  # targets of the columns present
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)  # see reader
    readers: list[tuple[int, Column, Any, bool]] = field(default_factory=list, repr=False)


@dataclass
class RosterReport:
    """What reading a roster file found, before any database is involved."""

    path: Path
    problems: list[RosterProblem] = field(default_factory=list)
    household_rows: int = 0
    member_rows: int = 0
    blocking: bool = False  # a sheet or required column is missing: nothing can be imported
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    households: list[HouseholdRecord] = field(default_factory=list)
    household_sheet: Sheet | None = None
    member_sheet: Sheet | None = None

    @property
    def present(self) -> frozenset[str]:
        """Targets of all columns present in either sheet."""
        found: frozenset[str] = frozenset()
        for sheet in (self.household_sheet, self.member_sheet):
            if sheet is not None:
                found |= sheet.present
        return found

    def valid(self) -> list[HouseholdRecord]:
        return [h for h in self.households if not h.failed]

    def add(self, problem: RosterProblem) -> None:
        self.problems.append(problem)

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    @property
    def errors(self) -> list[RosterProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def sorted_problems(self) -> list[RosterProblem]:
        return sorted(
            self.problems,
            key=lambda p: (
                SEVERITY_ORDER[p.severity],
                p.sheet or "",
                p.row or 0,
                p.column or "",
            ),
        )


class ProblemLog:
    """Adds problems to a report (once each) and marks the record they belong to as failed on
    errors."""

    def __init__(self, report: RosterReport) -> None:
        self.report = report
        self.seen: set[tuple[Any, ...]] = set()

    def add(
        self,
        issue: Issue,
        sheet: str | None,
        row: int | None,
        column: str | None,
        household: str | None,
        raw: object = None,
        record: HouseholdRecord | MemberRecord | None = None,
    ) -> None:
        key = (sheet, row, column, issue.message)
        if key in self.seen:
            return
        self.seen.add(key)
        self.report.add(
            RosterProblem(
                issue.severity,  # type: ignore[arg-type]
                issue.code,
                issue.message,
                sheet,
                row,
                column,
                household,
                show_value(raw),
            )
        )
        if issue.severity == "error" and record is not None:
            record.failed = True

    def add_found(self, problem: RosterProblem) -> None:
        """A problem another ProblemLog found (the helper process's), kept once like the rest."""
        key = (problem.sheet, problem.row, problem.column, problem.message)
        if key not in self.seen:
            self.seen.add(key)
            self.report.add(problem)


@dataclass
class ImportReport:
    """The roster report plus what the import did (or, in a dry run, would do)."""

    roster: RosterReport
    committed: bool = False
    households_in_file: int = 0
    created: list[str] = field(default_factory=list)  # 户编号
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    members_added: int = 0
    members_updated: int = 0
    regions_created: int = 0
    helpers_created: int = 0
    change_log_entries: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per phase

    @property
    def problems(self) -> list[RosterProblem]:
        return self.roster.problems

    @property
    def ok(self) -> bool:
        """True when every household in the file can be (or was) imported."""
        return not self.roster.blocking and not self.roster.errors

    def summary_lines(self) -> list[str]:
        roster = self.roster
        lines = [
            _("名册 {path}：“户”表 {households} 行，“成员”表 {members} 行。").format(
                path=roster.path.name, households=roster.household_rows, members=roster.member_rows
            ),
            _("错误 {errors} 处，警告 {warnings} 处，说明 {notes} 处。").format(
                errors=roster.count("error"),
                warnings=roster.count("warning"),
                notes=roster.count("note"),
            ),
        ]
        counts = {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }
        if self.committed:
            lines.append(
                _(
                    "已导入：新增 {created} 户，更新 {updated} 户，无变化 {unchanged} 户，跳过 {skipped} 户；"
                    "新增成员 {members_added} 人，更新成员 {members_updated} 人；"
                    "新建区划 {regions} 个，新建帮扶责任人 {helpers} 人；变更记录 {entries} 条。"
                ).format(
                    **counts,
                    members_added=self.members_added,
                    members_updated=self.members_updated,
                    regions=self.regions_created,
                    helpers=self.helpers_created,
                    entries=self.change_log_entries,
                )
            )
        else:
            lines.append(
                _(
                    "试运行（未写入数据库）：可新增 {created} 户，可更新 {updated} 户，"
                    "无变化 {unchanged} 户，将跳过 {skipped} 户。确认无误后加 --commit 导入。"
                ).format(**counts)
            )
        if self.skipped:
            shown = "、".join(self.skipped[:20])
            more = "" if len(self.skipped) <= 20 else _(" 等 {n} 户").format(n=len(self.skipped))
            lines.append(_("跳过的户（有错误）：{numbers}{more}").format(numbers=shown, more=more))
        return lines

    def format_text(self, limit: int | None = None) -> str:
        """The report as printed by ``doorstep import``: problems first, then the summary."""
        problems = self.roster.sorted_problems()
        lines = [p.describe() for p in problems[:limit]]
        if limit is not None and len(problems) > limit:
            lines.append(
                _("……另有 {n} 处未列出（用 --json 查看全部）。").format(n=len(problems) - limit)
            )
        return "\n".join([*lines, *self.summary_lines()])

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.roster.path),
            "committed": self.committed,
            "blocking": self.roster.blocking,
            "household_rows": self.roster.household_rows,
            "member_rows": self.roster.member_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "members_added": self.members_added,
            "members_updated": self.members_updated,
            "regions_created": self.regions_created,
            "helpers_created": self.helpers_created,
            "change_log_entries": self.change_log_entries,
            "unknown_columns": self.roster.unknown_columns,
            "counts": {s: self.roster.count(s) for s in ("error", "warning", "note")},
            "problems": [asdict(p) for p in self.roster.sorted_problems()],
        }
