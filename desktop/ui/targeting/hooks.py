"""Where the targeting screens plug into the main window (kept out of its code).

A 识别帮扶 menu (今日待办, and the village chosen in the tree), the same village action on the
region tree's context menu, and the 今日待办 dock, shown at start when anything is due.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from desktop.core.i18n import _
from desktop.core.targeting import TodayView
from desktop.ui.models.region_tree import CODE_ROLE, LEVEL_ROLE
from desktop.ui.targeting.today_panel import TodayPanel
from desktop.ui.targeting.village_dialog import VillageTargetingDialog


def village_at(window: Any, index: Any = None) -> tuple[str, str] | None:
    """(code, name) of the village at ``index`` (default: the tree's current one); a group
    counts as its village."""
    index = index if index is not None else window.tree.currentIndex()
    while index.isValid():
        if index.data(LEVEL_ROLE) == "village":
            return str(index.data(CODE_ROLE)), str(index.data())
        index = index.parent()
    return None


def open_village(window: Any, village: tuple[str, str] | None = None) -> Any:
    village = village or village_at(window)
    if village is None:
        window.ctx.show_error(
            window, _("请先在左边的区划树中选择一个村，再打开本村的评议、抽查与比对。")
        )
        return None
    dialog = VillageTargetingDialog(window.ctx, village[0], village[1], window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open_household.connect(window.open_household)
    dialog.show()
    return dialog


TODAY_WIDTH = 400


def show_today(window: Any) -> TodayPanel:
    window.today_dock.show()
    window.resizeDocks([window.today_dock], [TODAY_WIDTH], Qt.Orientation.Horizontal)
    window.today_dock.raise_()
    window.today_panel.load()
    return window.today_panel  # type: ignore[no-any-return]


def _tree_menu(window: Any, point: QPoint) -> None:
    village = village_at(window, window.tree.indexAt(point))
    if village is None:
        return
    menu = QMenu(window.tree)
    action = menu.addAction(_("{name}：评议排序、抽查与比对…").format(name=village[1]))
    action.triggered.connect(lambda: open_village(window, village))
    menu.exec(window.tree.viewport().mapToGlobal(point))


def _at_start(window: Any, view: TodayView) -> None:
    """Once, when the window is ready: show the dock if anything is due."""
    if view.reminders and not window.today_dock.isVisible():
        window.today_dock.show()
        window.resizeDocks([window.today_dock], [TODAY_WIDTH], Qt.Orientation.Horizontal)


def add_targeting_menu(window: Any) -> None:
    panel = TodayPanel(window.ctx, window)
    panel.open_household.connect(window.open_household)
    dock = QDockWidget(_("今日待办"), window)
    dock.setObjectName("today_dock")
    dock.setWidget(panel)
    dock.setAllowedAreas(
        Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
    )
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    window.today_panel, window.today_dock = panel, dock

    menu = window.menuBar().addMenu(_("识别帮扶"))
    window.today_action = QAction(_("今日待办"), window)
    window.today_action.setShortcut("Ctrl+T")
    window.today_action.triggered.connect(lambda: show_today(window))
    window.village_targeting_action = QAction(_("本村评议排序、四进七不进、抽查与比对…"), window)
    window.village_targeting_action.triggered.connect(lambda: open_village(window))
    menu.addAction(window.today_action)
    menu.addAction(window.village_targeting_action)

    window.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    window.tree.customContextMenuRequested.connect(lambda point: _tree_menu(window, point))

    def first_load() -> None:
        panel.loaded.connect(
            lambda view: _at_start(window, view), Qt.ConnectionType.SingleShotConnection
        )
        panel.load()

    window.ready.connect(first_load)
