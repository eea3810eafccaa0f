"""The main window: region tree, household list with search and quick filters, status bar.

Households open as tabs beside the list, so a cadre can keep two or three open while walking
through a village. Every read runs on the worker; the window only arranges results.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes, i18n
from desktop.core.i18n import _
from desktop.core.preferences import save_preference
from desktop.core.queries.households import HouseholdFilters, Scope
from desktop.core.queries.regions import region_tree
from desktop.core.queries.status import pending_change_count
from desktop.ui.context import AppContext
from desktop.ui.drafts import Draft, discard_draft, load_drafts
from desktop.ui.models.household_table import (
    HouseholdQuery,
    HouseholdTableModel,
    SearchFn,
    core_search,
)
from desktop.ui.models.region_tree import CODE_ROLE, LEVEL_ROLE, RegionTreeModel
from desktop.ui.tasks import Task

SEARCH_DELAY_MS = 10  # coalesces a paste or an input method burst, no more


class MainWindow(QMainWindow):
    household_opened = Signal(str)
    ready = Signal()  # once: the tree and the first page of the list are on screen

    def __init__(self, ctx: AppContext, search_fn: SearchFn = core_search) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(_("入户通 — {path}").format(path=ctx.db.path.name))
        self.resize(1280, 800)
        self.household_views: dict[str, Any] = {}
        self._long_task: Task | None = None
        self.ask_yes_no: Callable[[QWidget, str, str], bool] = ask_yes_no
        self._loaded_parts: set[str] = set()

        self.model = HouseholdTableModel(ctx.db, ctx.runner, search_fn, self)
        self.tree_model = RegionTreeModel(self)
        self._build_actions()
        self._build_toolbar()
        self._build_centre()
        self._build_status_bar()
        from desktop.ui.printing.hooks import add_print_menu
        from desktop.ui.sync.hooks import add_sync_menu

        add_print_menu(self)
        add_sync_menu(self)
        from desktop.ui.lock.hooks import add_lock_menu

        add_lock_menu(self)  # 修改密码, 立即锁定, the idle lock
        from desktop.ui.backup.hooks import add_backup_menu

        add_backup_menu(self)  # 文件 → 备份与恢复…

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_query)

        self.model.loaded.connect(self._on_loaded)
        ctx.data_changed.connect(self._on_data_changed)
        ctx.undo_changed.connect(self._update_undo)
        ctx.runner.failed.connect(self._on_failure)
        ctx.runner.long_task_started.connect(self._on_long_started)
        ctx.runner.long_task_finished.connect(self._on_long_finished)
        self._update_undo()
        from desktop.ui.targeting.hooks import add_targeting_menu

        add_targeting_menu(self)

    # ------------------------------------------------------------------ building
    def _build_actions(self) -> None:
        self.new_household_action = QAction(_("新增农户"), self)
        self.new_household_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_household_action.triggered.connect(self.new_household)
        self.undo_action = QAction(_("撤销"), self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(lambda: self.ctx.undo_last(self))
        self.refresh_action = QAction(_("刷新"), self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.refresh)
        self.quit_action = QAction(_("退出"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu(_("文件"))
        file_menu.addAction(self.new_household_action)
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        language_menu = file_menu.addMenu(_("界面语言"))
        for code, label in (("zh_CN", "简体中文"), ("en", "English")):
            action = language_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(code == i18n.current_language())
            action.triggered.connect(lambda _checked=False, c=code: self.choose_language(c))
        edit_menu = self.menuBar().addMenu(_("编辑"))
        edit_menu.addAction(self.undo_action)
        find_action = QAction(_("查找"), self)
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.triggered.connect(lambda: self.search_box.setFocus())
        edit_menu.addAction(find_action)

    def choose_language(self, language: str) -> None:
        """Saved for the next start: every window, menu and Qt dialog then opens in it."""
        save_preference("language", language)
        QMessageBox.information(self, _("界面语言"), _("界面语言已保存，重新打开入户通后生效。"))

    def _build_toolbar(self) -> None:
        bar = QToolBar(_("工具栏"))
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addAction(self.new_household_action)
        bar.addAction(self.undo_action)
        bar.addSeparator()
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search_box")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText(_("查找：姓名、拼音、首字母、身份证号、电话或户编号"))
        self.search_box.setMinimumWidth(320)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_box.returnPressed.connect(self._open_first)
        bar.addWidget(self.search_box)
        bar.addSeparator()
        self.status_filter = self._code_combo("household_status", _("全部状态"))
        self.category_filter = self._code_combo("category", _("全部属性"))
        bar.addWidget(self.status_filter)
        bar.addWidget(self.category_filter)
        self.overdue_button = self._toggle(_("走访超期"), _("超过 90 天没有走访的农户"))
        self.due_button = self._toggle(_("措施到期"), _("30 天内到期或已过期未兑现的帮扶措施"))
        self.findings_button = self._toggle(_("有问题"), _("数据检查发现问题的农户"))
        for button in (self.overdue_button, self.due_button, self.findings_button):
            bar.addWidget(button)

    def _code_combo(self, kind: str, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"filter_{kind}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        combo.addItem(everything, None)
        for entry in codes.codes(kind):
            if not entry.attrs.get("legacy"):
                combo.addItem(entry.label(), entry.code)
        combo.currentIndexChanged.connect(lambda _i: self._apply_query())
        return combo

    def _toggle(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        button.toggled.connect(lambda _on: self._apply_query())
        return button

    def _build_centre(self) -> None:
        self.tree = QTreeView()
        self.tree.setObjectName("region_tree")
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(lambda *_a: self._apply_query())

        self.table = QTableView()
        self.table.setObjectName("household_table")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((170, 90, 50, 120, 80, 110, 90, 100, 50)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

        list_page = QWidget()
        layout = QVBoxLayout(list_page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list_title = QLabel()
        self.list_title.setObjectName("list_title")
        self.list_title.setStyleSheet("font-weight: bold; padding: 4px;")
        layout.addWidget(self.list_title)
        layout.addWidget(self.table)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("main_tabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(list_page, _("农户列表"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.tabs.tabCloseRequested.connect(self._close_tab)

        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1020])
        self.setCentralWidget(splitter)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.count_label = QLabel()
        self.count_label.setObjectName("count_label")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("pending_label")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.progress_text = QLabel()
        self.progress_text.hide()
        self.cancel_button = QPushButton(_("取消"))
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._cancel_long_task)
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.progress_text, self.progress, self.cancel_button):
            row.addWidget(widget)
        bar.addWidget(self.count_label)
        bar.addPermanentWidget(holder)
        bar.addPermanentWidget(self.pending_label)

    # ------------------------------------------------------------------ loading
    def start(self) -> None:
        """Load the tree, the list and the status figures (all on the worker)."""
        self.refresh()
        QTimer.singleShot(0, self.offer_drafts)

    def refresh(self) -> None:
        db = self.ctx.db
        self._apply_query()  # the list first: it is what the cadre came for
        self.ctx.runner.submit(lambda: region_tree(db), self._on_tree, key="region-tree")
        self.refresh_pending()

    def refresh_pending(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(
            lambda: pending_change_count(db), self._on_pending, key="pending-count"
        )

    def _part_loaded(self, part: str) -> None:
        if len(self._loaded_parts) < 2:
            self._loaded_parts.add(part)
            if {"tree", "list"} <= self._loaded_parts:
                # Everything imported and built so far lives as long as the app: keep it out of
                # the cyclic collector, whose full passes over it stalled painting for ~90 ms.
                gc.freeze()
                # Scrolling 100,000 rows allocates pages of row objects; with the default
                # threshold (700) young collections run every few hundred rows and promote
                # enough to trigger frequent full passes. A higher first threshold halved the
                # longest stall in tests/bench/bench_gui.py (122 ms -> 60 ms).
                gc.set_threshold(50_000, 50, 100)
                self.ready.emit()

    def _on_tree(self, roots: list[Any]) -> None:
        current = self.tree.currentIndex()
        selected = (
            (current.data(LEVEL_ROLE), current.data(CODE_ROLE)) if current.isValid() else None
        )
        self.tree.selectionModel().blockSignals(True)
        self.tree_model.set_tree(roots)
        self.tree.expandToDepth(1)
        target = self._find_region(selected) if selected else self.tree_model.index(0, 0)
        self.tree.setCurrentIndex(target)
        self.tree.selectionModel().blockSignals(False)
        self._part_loaded("tree")

    def _find_region(self, selected: tuple[str, str]) -> QModelIndex:
        level, code = selected
        if level in (None, "all"):
            return self.tree_model.index(0, 0)
        matches = self.tree_model.match(
            self.tree_model.index(0, 0),
            CODE_ROLE,
            code,
            1,
            Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive,
        )
        return matches[0] if matches else self.tree_model.index(0, 0)

    def _on_pending(self, count: int) -> None:
        if count:
            self.pending_label.setText(_("{n} 条修改尚未上报县里").format(n=count))
            self.pending_label.setStyleSheet("color: #b26a00;")
        else:
            self.pending_label.setText(_("所有修改都已上报县里"))
            self.pending_label.setStyleSheet("")

    def current_query(self) -> HouseholdQuery:
        scope = Scope()
        index = self.tree.currentIndex()
        if index.isValid():
            level, code = index.data(LEVEL_ROLE), index.data(CODE_ROLE)
            if level == "township":
                scope = Scope(township_code=code)
            elif level == "village":
                scope = Scope(village_code=code)
            elif level == "group":
                scope = Scope(group_code=code)
        filters = HouseholdFilters(
            status=self.status_filter.currentData(),
            category=self.category_filter.currentData(),
            overdue_visits=self.overdue_button.isChecked(),
            commitments_due=self.due_button.isChecked(),
            with_findings=self.findings_button.isChecked(),
        )
        header = self.table.horizontalHeader()
        column = header.sortIndicatorSection()
        sort_key = (
            self.model.columns[column].sort_key
            if 0 <= column < len(self.model.columns)
            else "number"
        )
        return HouseholdQuery(
            scope=scope,
            filters=filters,
            search_text=self.search_box.text(),
            sort_key=sort_key,
            descending=header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder,
        )

    def _apply_query(self) -> None:
        self.model.set_query(self.current_query())

    def _on_loaded(self, count: int) -> None:
        index = self.tree.currentIndex()
        place = index.data() if index.isValid() else _("全部")
        text = self.search_box.text().strip()
        if text:
            self.list_title.setText(
                _("{place}：查找“{text}”找到 {n} 户").format(place=place, text=text, n=count)
            )
        else:
            self.list_title.setText(_("{place}：{n} 户").format(place=place, n=count))
        self.count_label.setText(_("共 {n} 户").format(n=count))
        self._part_loaded("list")

    def _on_data_changed(self, changes: list[Any]) -> None:
        self.model.refresh()
        if any(c.table in ("household", "region") and c.op != "update" for c in changes) or any(
            c.table == "household" and {"village_code", "group_code", "voided"} & set(c.fields)
            for c in changes
        ):
            db = self.ctx.db
            self.ctx.runner.submit(lambda: region_tree(db), self._on_tree, key="region-tree")
        self.refresh_pending()
        for view in list(self.household_views.values()):
            view.on_changes(changes)

    def _update_undo(self) -> None:
        entry = self.ctx.undo.peek()
        self.undo_action.setEnabled(entry is not None)
        self.undo_action.setText(
            _("撤销：{label}").format(label=entry.label) if entry else _("撤销")
        )

    def _on_failure(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)
        self.ctx.show_error(self, message)

    # ------------------------------------------------------------------ long work
    def _on_long_started(self, task: Task) -> None:
        self._long_task = task
        self.progress_text.setText(task.label)
        self.progress.setRange(0, 0)
        for widget in (self.progress, self.progress_text, self.cancel_button):
            widget.show()
        previous = task.on_progress

        def progress(done: int, total: int, text: str) -> None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            if text:
                self.progress_text.setText(text)
            if previous is not None:
                previous(done, total, text)

        task.on_progress = progress

    def _on_long_finished(self, task: Task) -> None:
        if task is self._long_task:
            self._long_task = None
            for widget in (self.progress, self.progress_text, self.cancel_button):
                widget.hide()

    def _cancel_long_task(self) -> None:
        if self._long_task is not None:
            self._long_task.cancel()
            self.progress_text.setText(_("正在取消…"))

    # ------------------------------------------------------------------ households
    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.household_at(index.row())
        if row is not None and row.id:
            self.open_household(row.id, f"{row.head_name} {row.number}")

    def _open_first(self) -> None:
        if self.model.rowCount() >= 1:
            self._open_index(self.model.index(0, 0))

    def open_household(self, household_id: str, title: str = "") -> Any:
        from desktop.ui.household.view import HouseholdView

        view = self.household_views.get(household_id)
        if view is None:
            view = HouseholdView(self.ctx, household_id, self)
            view.title_changed.connect(lambda text, v=view: self._retitle(v, text))
            self.household_views[household_id] = view
            self.tabs.addTab(view, title or _("农户"))
        self.tabs.setCurrentWidget(view)
        self.household_opened.emit(household_id)
        return view

    def _retitle(self, view: QWidget, text: str) -> None:
        index = self.tabs.indexOf(view)
        if index >= 0:
            self.tabs.setTabText(index, text)

    def _close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if index == 0 or view is None:
            return
        if hasattr(view, "can_close") and not view.can_close():
            return
        self.tabs.removeTab(index)
        for key, value in list(self.household_views.items()):
            if value is view:
                del self.household_views[key]
        view.deleteLater()

    def new_household(self) -> None:
        from desktop.ui.household.new_household import NewHouseholdDialog

        index = self.tree.currentIndex()
        village = None
        if index.isValid() and index.data(LEVEL_ROLE) == "village":
            village = index.data(CODE_ROLE)
        dialog = NewHouseholdDialog(self.ctx, self, village_code=village)
        dialog.created.connect(lambda household_id: self.open_household(household_id))
        dialog.show()
        return None

    # ------------------------------------------------------------------ drafts
    def offer_drafts(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(lambda: load_drafts(db), self._on_drafts, key="drafts")

    def _on_drafts(self, drafts: list[Draft]) -> None:
        if not drafts:
            return
        question = _(
            "上次有 {n} 份没有保存的填写内容（最近一份保存于 {when}）。现在恢复吗？"
        ).format(n=len(drafts), when=drafts[0].saved_at.replace("T", " ")[:16])
        if self.ask_yes_no(self, _("恢复草稿"), question):
            for draft in drafts:
                self.restore_draft(draft)
        else:
            db = self.ctx.db
            for draft in drafts:
                self.ctx.runner.submit(lambda key=draft.key: discard_draft(db, key))

    def restore_draft(self, draft: Draft) -> Any:
        """Reopen the form a draft belongs to, filled with what was typed."""
        if draft.kind == "new_household":
            from desktop.ui.household.new_household import NewHouseholdDialog

            dialog = NewHouseholdDialog(self.ctx, self, draft=draft)
            dialog.created.connect(lambda household_id: self.open_household(household_id))
            dialog.show()
            return dialog
        if draft.household_id:
            view = self.open_household(draft.household_id)
            return view.restore_draft(draft)
        return None

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        for view in list(self.household_views.values()):
            if hasattr(view, "flush_drafts"):
                view.flush_drafts()
        self.ctx.runner.wait_idle(30)
        event.accept()


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes
