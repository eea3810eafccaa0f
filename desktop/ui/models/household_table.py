"""The household list as a Qt model that never touches the database on the GUI thread.

A query (region, quick filters, search text, sort column) is answered on the worker with the
ordered row keys of every match plus the first page of rows. Further pages are fetched on demand
when the view asks for a row that is not loaded yet; until then the row shows a placeholder. At
100,000 households this keeps the GUI thread's work per scroll step to a dictionary lookup.
"""

from __future__ import annotations

import threading
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
    count_households,
    household_keys_on,
    list_households,
    rows_for_keys,
)
from desktop.ui.tasks import Task, TaskRunner

PAGE_SIZE = 200
SEARCH_LIMIT = 100  # the best hits; typing one more character narrows them
MAX_PAGES = 60  # ~12,000 rows kept; older pages are dropped and refetched if scrolled back to

Index = QModelIndex | QPersistentModelIndex

RED = QColor("#c62828")
ORANGE = QColor("#b26a00")
BRUSHES = {"red": QBrush(RED), "orange": QBrush(ORANGE)}

_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_USER = Qt.ItemDataRole.UserRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
HANDLED_ROLES = frozenset(int(r) for r in (_DISPLAY, _FOREGROUND, _TOOLTIP, _USER, _ALIGN))
CENTRED = int(Qt.AlignmentFlag.AlignCenter)


@dataclass(frozen=True, slots=True)
class Line:
    """One row as the view shows it, prepared on the worker: painting only indexes tuples."""

    row: HouseholdRow
    texts: tuple[str, ...]
    colours: tuple[str | None, ...]
    tips: tuple[str | None, ...]


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

    hits = search(db, text, limit=SEARCH_LIMIT, village_code=village_code)
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
        self._keys: list[int] | None = []  # None until the worker has listed them
        self._count = 0
        self._worker_keys: tuple[int, list[int]] | None = None  # written on the worker
        self._interrupt_lock = threading.Lock()
        self._listing: tuple[int, Any] | None = None  # (generation, sqlite3 connection)
        self._keys_task: Task | None = None
        self._pages: OrderedDict[int, list[Line]] = OrderedDict()
        self._last_page = -1
        self._requested: set[int] = set()
        self._generation = 0
        self.today = date.today()
        self.last_error: str | None = None

    # ------------------------------------------------------------------ queries
    def set_query(self, query: HouseholdQuery) -> None:
        """Ask the worker for a new result; the view keeps showing the old one until it comes.

        The first answer is the count and the first page (LIMIT: quick even at 100,000 rows);
        the ordered keys of every row follow in a second task, queued before any page request
        can be, so later pages are fetched by key.
        """
        self.query = query
        self._generation += 1
        generation = self._generation
        db, search_fn, today = self.db, self.search_fn, self.today
        scope = query.scope
        self._stop_listing()

        def effective() -> tuple[HouseholdFilters, str | None, int | None]:
            filters = replace(query.filters, today=today)
            text = query.search_text.strip()
            sort_key = query.sort_key
            if not text:
                return filters, sort_key, None
            ids = search_fn(db, text, scope.village_code)
            if sort_key == "number" and not query.descending:
                sort_key = None  # relevance order for search results
            return replace(filters, household_ids=tuple(ids)), sort_key, len(ids)

        plan: dict[str, Any] = {}

        def first_page() -> tuple[int, list[Line]]:
            filters, sort_key, hits = effective()
            plan.update(filters=filters, sort_key=sort_key)
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
            if hits is not None and hits <= PAGE_SIZE:
                count = len(rows)  # every hit is on this page
            elif len(rows) < PAGE_SIZE:
                count = len(rows)
            else:
                count = count_households(
                    db, scope.village_code, scope.group_code, filters, scope.township_code
                )
            return count, self.lines(rows)

        def all_keys() -> list[int]:
            with db.read() as conn:
                with self._interrupt_lock:
                    self._listing = (generation, conn.connection.driver_connection)
                try:
                    keys = household_keys_on(
                        conn, scope, plan["filters"], plan["sort_key"], query.descending
                    )
                finally:
                    with self._interrupt_lock:
                        self._listing = None
            self._worker_keys = (generation, keys)
            return keys

        def keys_done(keys: list[int]) -> None:
            if generation == self._generation:
                self._keys = keys

        def done(result: tuple[int, list[Line]]) -> None:
            if generation != self._generation:
                return
            count, first = result
            self.beginResetModel()
            self._count = count
            self._keys = [line.row.key for line in first] if count <= PAGE_SIZE else None
            self._pages.clear()
            self._requested.clear()
            self._last_page = -1
            if first:
                self._pages[0] = first
            self.endResetModel()
            self.loaded.emit(count)
            if self._keys is None:
                self._keys_task = self.runner.submit(
                    all_keys, keys_done, self._failed, key=f"household-keys-{id(self)}"
                )

        self.runner.submit(first_page, done, self._failed, key=f"household-query-{id(self)}")

    def _stop_listing(self) -> None:
        """A newer query makes the running listing of every key useless: interrupt its SQL so
        the worker turns to the new query at once (typing right after clearing the search)."""
        with self._interrupt_lock:
            listing = self._listing
            if listing is not None and listing[0] != self._generation:
                listing[1].interrupt()
        if self._keys_task is not None:
            self._keys_task.cancel()
            self._keys_task = None

    def refresh(self) -> None:
        """Re-run the current query (after an edit or an import)."""
        self.today = date.today()
        self.set_query(self.query)

    def _failed(self, exc: BaseException) -> None:
        from desktop.ui.tasks import describe_error

        self.last_error = describe_error(exc)
        self.runner.failed.emit(self.last_error)

    # ------------------------------------------------------------------ paging
    def _line(self, row: int) -> Line | None:
        page_no, offset = divmod(row, PAGE_SIZE)
        page = self._pages.get(page_no)
        if page is None:
            self._request(page_no)
            return None
        if page_no != self._last_page:  # keep recently viewed pages; cheap enough per page
            self._pages.move_to_end(page_no)
            self._last_page = page_no
        return page[offset] if offset < len(page) else None

    def _row(self, row: int) -> HouseholdRow | None:
        line = self._line(row)
        return line.row if line is not None else None

    def _request(self, page_no: int) -> None:
        if page_no in self._requested:
            return
        self._requested.add(page_no)
        generation = self._generation
        db, today = self.db, self.today
        wanted: list[int] = []

        def work() -> list[Line]:
            known = self._worker_keys
            if known is None or known[0] != generation:
                return []  # superseded by a newer query; its result will be dropped
            wanted.extend(known[1][page_no * PAGE_SIZE : (page_no + 1) * PAGE_SIZE])
            return self.lines(rows_for_keys(db, wanted, today))

        def done(rows: list[Line]) -> None:
            self._requested.discard(page_no)
            if generation != self._generation:
                return
            if len(rows) < len(wanted):  # rows vanished meanwhile: keep the row count stable
                by_key = {line.row.key: line for line in rows}
                rows = [by_key.get(k) or self.lines([_gone(k)])[0] for k in wanted]
            self._pages[page_no] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            first = page_no * PAGE_SIZE
            last = min(first + len(rows), self._count) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

        def failed(exc: BaseException) -> None:
            self._requested.discard(page_no)
            self._failed(exc)

        self.runner.submit(work, done, failed)

    def lines(self, rows: list[HouseholdRow]) -> list[Line]:
        """Texts, colours and tips of rows (pure Python: runs on the worker)."""
        keys = [c.key for c in self.columns]
        return [
            Line(
                row,
                tuple(self._display(row, k) for k in keys),
                tuple(self._colour(row, k) for k in keys),
                tuple(self._tooltip(row, k) for k in keys),
            )
            for row in rows
        ]

    def is_loaded(self, row: int) -> bool:
        return row // PAGE_SIZE in self._pages

    def household_at(self, row: int) -> HouseholdRow | None:
        if 0 <= row < self._count:
            return self._row(row)
        return None

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

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
        # Called for every role of every visible cell on each paint: keep it to tuple lookups.
        if role not in HANDLED_ROLES or not index.isValid():
            return None
        line = self._line(index.row()) if index.row() < self._count else None
        column = index.column()
        if line is None:
            return "…" if role == _DISPLAY and column == 0 else None
        if role == _DISPLAY:
            return line.texts[column]
        if role == _FOREGROUND:
            colour = line.colours[column]
            return BRUSHES[colour] if colour else None
        if role == _TOOLTIP:
            return line.tips[column]
        if role == _USER:
            return line.row.id
        if role == _ALIGN and self.columns[column].key in ("size", "findings"):
            return CENTRED
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (self.columns[column].sort_key, descending) == (
            self.query.sort_key,
            self.query.descending,
        ):
            return  # e.g. the view announcing its initial order: nothing to re-run
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

    def _colour(self, row: HouseholdRow, key: str) -> str | None:
        if row.overdue_commitments and key in ("number", "head_name"):
            return "red"
        if key == "last_visit" and self._visit_overdue(row):
            return "orange"
        if key == "findings" and row.findings:
            return "red"
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
