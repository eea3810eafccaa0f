"""Registry cross-checks (大数据比对): county lists keyed by ID number, matched with members.

The county hands out lists (xlsx or csv) of vehicle owners, commercial property, registered
businesses, publicly salaried staff and village cadres. Each line is kept in the local
``registry_record`` table; its unique key (source, ID, detail) makes importing the same list twice
add nothing. Every current member whose ID number is on a list becomes a finding (rule
``registry.<source>``) naming the list and the file: a flag for review, never a verdict.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.rules.checks_member import id_key
from desktop.core.rules.idnumber import normalise_id_text
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.eligibility import SOURCE_LABELS, registry_evidence, source_label
from desktop.core.targeting.facts import rows

SOURCES = tuple(SOURCE_LABELS)
RULE_PREFIX = "registry."
ID_HEADERS = (
    "公民身份号码",
    "身份证号码",
    "身份证号",
    "证件号码",
    "身份证",
    "id_number",
    "idnumber",
)
NAME_HEADERS = (
    "姓名",
    "所有人",
    "车主",
    "权利人",
    "产权人",
    "负责人",
    "法定代表人",
    "投资人",
    "name",
)
MAX_ROWS = 1_000_000


@dataclass
class RegistryImport:
    """What an import did: lines read, added, already known, and lines skipped with reasons."""

    source: str
    file: str
    read: int = 0
    added: int = 0
    already: int = 0
    skipped: list[str] = field(default_factory=list)
    matches: int = 0  # members now on any list (findings written)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "read": self.read,
            "added": self.added,
            "already": self.already,
            "skipped": self.skipped,
            "matches": self.matches,
        }


def _cells_csv(path: Path) -> Iterator[list[Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ServiceError(
            _("无法识别文件 {path} 的文字编码，请另存为 UTF-8 的 CSV。").format(path=path)
        )
    yield from csv.reader(decoded.splitlines())


def _cells_xlsx(path: Path) -> Iterator[list[Any]]:
    from desktop.core.roster.xlsx import RosterFileError, Workbook, sniff

    try:
        sniff(path)
        with Workbook(path) as book:
            for _number, values in book.rows(book.sheet_names[0]):
                yield list(values)
    except RosterFileError as exc:
        raise ServiceError(str(exc)) from None


def read_lines(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(line number, cells) of the first sheet (xlsx) or the file (csv)."""
    if not path.exists():
        raise ServiceError(_("找不到文件 {path}。").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        cells = _cells_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        cells = _cells_xlsx(path)
    else:
        raise ServiceError(_("只能导入 .xlsx 或 .csv 文件，{path} 不是。").format(path=path.name))
    yield from enumerate(cells, start=1)


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for wanted in names:
        for index, cell in enumerate(header):
            if cell.replace(" ", "").lower() == wanted.lower():
                return index
    return None


def parse_registry(path: Path, source: str) -> tuple[list[dict[str, str]], RegistryImport]:
    """The list's usable lines (id_key, name, detail) and the report so far."""
    if source not in SOURCES:
        raise ServiceError(
            _("名单类别应为以下之一：{known}，现在是“{source}”。").format(
                known="、".join(f"{s}（{source_label(s)}）" for s in SOURCES), source=source
            )
        )
    report = RegistryImport(source, path.name)
    header: list[str] | None = None
    id_col = name_col = None
    found: list[dict[str, str]] = []
    for line, cells in read_lines(path):
        text = ["" if c is None else str(c).strip() for c in cells]
        if header is None:
            id_col = _find(text, ID_HEADERS)
            if id_col is not None:
                header, name_col = text, _find(text, NAME_HEADERS)
            elif line >= 20:
                break
            continue
        if not any(text):
            continue
        report.read += 1
        if report.read > MAX_ROWS:
            raise ServiceError(_("名单超过{max}行，请分开导入。").format(max=MAX_ROWS))
        raw = cells[id_col] if id_col is not None and id_col < len(cells) else None
        normalised = normalise_id_text(raw)
        key = id_key(normalised.value) if normalised.ok else None
        if key is None:
            reason = normalised.problems[0].message if normalised.problems else _("身份证号无效。")
            report.skipped.append(_("第{line}行：{reason}").format(line=line, reason=reason))
            continue
        name = text[name_col] if name_col is not None and name_col < len(text) else ""
        detail = "；".join(
            f"{header[i]}：{value}"
            for i, value in enumerate(text)
            if value and i not in (id_col, name_col) and i < len(header) and header[i]
        )
        found.append({"id_key": key, "name": name[:40], "detail": detail[:400]})
    if header is None:
        raise ServiceError(
            _("{file} 中找不到身份证号一列（表头应为 {names} 之一）。").format(
                file=path.name, names="、".join(ID_HEADERS[:4])
            )
        )
    return found, report


def import_registry(db: Database, source: str, path: Path | str) -> RegistryImport:
    """Import one list; lines already imported add nothing. Refreshes the registry findings."""
    path = Path(path)
    found, report = parse_registry(path, source)
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    with db.write_connection() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        before = raw.total_changes
        raw.executemany(
            "INSERT OR IGNORE INTO registry_record "
            "(source, id_key, name, detail, source_file, imported_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(source, r["id_key"], r["name"], r["detail"], path.name, stamp) for r in found],
        )
        report.added = raw.total_changes - before
    report.already = len(found) - report.added
    report.matches = refresh_registry_findings(db)
    return report


@dataclass(frozen=True)
class RegistryMatch:
    household_id: str
    household_number: str
    member_id: str
    member_name: str
    source: str
    message: str


def registry_matches(db: Database) -> list[RegistryMatch]:
    """Every (current member, registry line) pair sharing an ID number."""
    with db.read() as conn:
        records = rows(
            conn, "SELECT source, id_key, name, detail, source_file FROM registry_record"
        )
        if not records:
            return []
        by_key: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_key.setdefault(record["id_key"], []).append(record)
        members = rows(
            conn,
            "SELECT m.id, m.household_id, m.name, m.id_number, h.number FROM member m "
            "JOIN household h ON h.id = m.household_id WHERE m.voided = 0 AND h.voided = 0 "
            "AND m.left_reason IS NULL AND m.id_number IS NOT NULL ORDER BY h.number, m.sort_order",
        )
    found: list[RegistryMatch] = []
    for member in members:
        key = id_key(member["id_number"])
        for record in by_key.get(key or "", ()):
            found.append(
                RegistryMatch(
                    household_id=member["household_id"],
                    household_number=member["number"],
                    member_id=member["id"],
                    member_name=member["name"],
                    source=record["source"],
                    message=registry_evidence(member, record) + _("请核实，比对结果仅供参考。"),
                )
            )
    return found


def refresh_registry_findings(db: Database) -> int:
    """Rewrite the ``registry.*`` findings from the imported lists; returns how many."""
    matches = registry_matches(db)
    with db.write_connection() as conn:
        conn.exec_driver_sql("DELETE FROM finding WHERE rule LIKE 'registry.%'")
        if matches:
            conn.exec_driver_sql(
                "INSERT INTO finding (household_id, member_id, rule, severity, field, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        m.household_id,
                        m.member_id,
                        RULE_PREFIX + m.source,
                        "warning",
                        "id_number",
                        m.message[:400],
                    )
                    for m in matches
                ],
            )
    return len(matches)
