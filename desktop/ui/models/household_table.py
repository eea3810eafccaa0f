"""The household list as a Qt model that never touches the database on the GUI thread.

A query (region, quick filters, search text, sort column) is answered on the worker with the
ordered row keys of every match plus the first page of rows. Further pages are fetched on demand
when the view asks for a row that is not loaded yet; until then the row shows a placeholder. At
100,000 households this keeps the GUI thread's work per scroll step to a dictionary lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from desktop.core import codes
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.queries.households import (
    VISIT_OVERDUE_DAYS,
    HouseholdFilters,
    HouseholdRow,
    Scope,
    household_keys,
    list_households,
    rows_for_keys,
)
from desktop.ui.tasks import TaskRunner

PAGE_SIZE = 200
MAX_PAGES = 60  # ~12,000 rows kept; older pages are dropped and refetched if scrolled back to

Index = QModelIndex | QPersistentModelIndex

RED = QColor("#c62828")
ORANGE = QColor("#b26a00")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort_key: str | None


def columns() -> list[Column]:
    return [
        Column("number", _("户编号"), "number"),
        Column("head_name", _("户主"), "head_name"),
        Column("size", _("人口"), "size"),
        Column("category", _("属性"), "category"),
        Column("status", _("状态"), "status"),
        Column("main_cause", _("主要致贫原因"), "main_cause"),
        Column("helper", _("帮扶责任人"), "helper"),
        Column("last_visit", _("最近走访"), "last_visit"),
        Column("findings", _("问题"), "findings"),
    ]


@dataclass(frozen=True)
class HouseholdQuery:
    scope: Scope = Scope()
    filters: HouseholdFilters = HouseholdFilters()
    search_text: str = ""
    sort_key: str | None = "number"
    descending: bool = False


SearchFn = Callable[[Database, str, str | None], list[str]]


def core_search(db: Database, text: str, village_code: str | None) -> list[str]:
    """Household ids for the search box, best match first (the core's search)."""
    from desktop.core.search import search

    hits = search(db, text, limit=200, village_code=village_code)
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.household_id, None)
    return list(seen)


class HouseholdTableModel(QAbstractTableModel):
    """Rows are loaded by the worker page by page; sorting and filtering are SQL."""

    loaded = Signal(int)  # number of matching households, after each new query

    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        search_fn: SearchFn = core_search,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner
        self.search_fn = search_fn
        self.columns = columns()
        self.query = HouseholdQuery()
        self._keys: list[int] = []
        self._pages: OrderedDict[int, list[HouseholdRow]] = OrderedDict()
        self._requested: set[int] = set()
        self._generation = 0
        self.today = date.today()
        self.last_error: str | None = None

    # ------------------------------------------------------------------ queries
    def set_query(self, query: HouseholdQuery) -> None:
        """Ask the worker for a new result; the view keeps showing the old one until it comes."""
        self.query = query
        self._generation += 1
        generation = self._generation
        db, search_fn, today = self.db, self.search_fn, self.today

        def work() -> tuple[list[int], list[HouseholdRow]]:
            filters = query.filters
            text = query.search_text.strip()
            sort_key = query.sort_key
            if text:
                ids = search_fn(db, text, query.scope.village_code)
                filters = replace(filters, household_ids=tuple(ids), today=today)
                if sort_key == "number" and not query.descending:
                    sort_key = None  # relevance order for search results
                if len(ids) <= PAGE_SIZE:  # every hit fits one page: one query answers it
                    scope = query.scope
                    rows = list_households(
                        db,
                        scope.village_code,
                        scope.group_code,
                        filters,
                        sort_key,
                        query.descending,
                        0,
                        PAGE_SIZE,
                        scope.township_code,
                    )
                    return [r.key for r in rows], rows
            keys = household_keys(db, query.scope, filters, sort_key, query.descending)
            first = rows_for_keys(db, keys[:PAGE_SIZE], today)
            return keys, first

        def done(result: tuple[list[int], list[HouseholdRow]]) -> None:
            if generation != self._generation:
                return
            keys, first = result
            self.beginResetModel()
            self._keys = keys
            self._pages.clear()
            self._requested.clear()
            if keys:
                self._pages[0] = first
            self.endResetModel()
            self.loaded.emit(len(keys))

        self.runner.submit(work, done, self._failed, key=f"household-query-{id(self)}")

    def refresh(self) -> None:
        """Re-run the current query (after an edit or an import)."""
        self.today = date.today()
        self.set_query(self.query)

    def _failed(self, exc: BaseException) -> None:
        from desktop.ui.tasks import describe_error

        self.last_error = describe_error(exc)
        self.runner.failed.emit(self.last_error)

    # ------------------------------------------------------------------ paging
    def _row(self, row: int) -> HouseholdRow | None:
        page_no, offset = divmod(row, PAGE_SIZE)
        page = self._pages.get(page_no)
        if page is None:
            self._request(page_no)
            return None
        self._pages.move_to_end(page_no)
        return page[offset] if offset < len(page) else None

    def _request(self, page_no: int) -> None:
        if page_no in self._requested:
            return
        self._requested.add(page_no)
        generation = self._generation
        keys = self._keys[page_no * PAGE_SIZE : (page_no + 1) * PAGE_SIZE]
        db, today = self.db, self.today

        def done(rows: list[HouseholdRow]) -> None:
            self._requested.discard(page_no)
            if generation != self._generation:
                return
            if len(rows) < len(keys):  # rows vanished meanwhile: keep the row count stable
                by_key = {r.key: r for r in rows}
                rows = [by_key.get(k) or _gone(k) for k in keys]
            self._pages[page_no] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            first = page_no * PAGE_SIZE
            last = min(first + len(rows), len(self._keys)) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

        def failed(exc: BaseException) -> None:
            self._requested.discard(page_no)
            self._failed(exc)

        self.runner.submit(lambda: rows_for_keys(db, keys, today), done, failed)

    def is_loaded(self, row: int) -> bool:
        return row // PAGE_SIZE in self._pages

    def household_at(self, row: int) -> HouseholdRow | None:
        if 0 <= row < len(self._keys):
            return self._row(row)
        return None

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._keys):
            return None
        column = self.columns[index.column()]
        row = self._row(index.row())
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return "…"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column.key)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, column.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column.key)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column.key in ("size", "findings"):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_key is None:
            return
        self.set_query(
            replace(
                self.query,
                sort_key=self.columns[column].sort_key,
                descending=order == Qt.SortOrder.DescendingOrder,
            )
        )

    # ------------------------------------------------------------------ presentation
    def _display(self, row: HouseholdRow, key: str) -> str:
        if key == "category":
            return codes.label("category", row.category)
        if key == "status":
            return codes.label("household_status", row.status)
        if key == "main_cause":
            return codes.label("cause", row.main_cause)
        if key == "findings":
            return str(row.findings) if row.findings else ""
        if key == "size":
            return str(row.size)
        if key == "last_visit" and row.last_visit is None:
            return _("从未走访")
        value = getattr(row, key)
        return "" if value is None else str(value)

    def _visit_overdue(self, row: HouseholdRow) -> bool:
        cutoff = (self.today - timedelta(days=VISIT_OVERDUE_DAYS)).isoformat()
        return row.last_visit is None or row.last_visit < cutoff

    def _colour(self, row: HouseholdRow, key: str) -> QBrush | None:
        if row.overdue_commitments and key in ("number", "head_name"):
            return QBrush(RED)
        if key == "last_visit" and self._visit_overdue(row):
            return QBrush(ORANGE)
        if key == "findings" and row.findings:
            return QBrush(RED)
        return None

    def _tooltip(self, row: HouseholdRow, key: str) -> str | None:
        if row.overdue_commitments and key in ("number", "head_name"):
            return _("有 {n} 项帮扶措施已过期未兑现").format(n=row.overdue_commitments)
        if key == "last_visit" and self._visit_overdue(row):
            return _("超过 {days} 天没有走访").format(days=VISIT_OVERDUE_DAYS)
        if key == "findings" and row.findings:
            return _("数据检查发现 {n} 个问题").format(n=row.findings)
        return None


def _gone(key: int) -> HouseholdRow:
    return HouseholdRow(key, "", _("（不可用）"), "", 0, None, "", None, None, None, 0, 0, "")
