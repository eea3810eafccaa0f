"""Where sync plugs into the main window: a 同步 menu, the pending count, online sync.

The status bar's "N 条修改尚未上报县里" becomes clickable (it is what a cadre looks at when
wondering whether the county has the work), and opens the same window as the menu. The main
window owns the one background ``OnlineSyncer``; its words sit in the status bar, and closing
the window cancels a running sync and waits for it (nothing is lost: see online_syncer).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QWidget

from desktop.core.i18n import _
from desktop.ui.sync.online_status_bar import OnlineStatusWidget
from desktop.ui.sync.online_syncer import OnlineSyncer
from desktop.ui.sync.window import SyncWindow


class _StopOnClose(QObject):
    """Cancels a running online sync and waits for it when the main window closes."""

    def __init__(self, window: QWidget, syncer: OnlineSyncer) -> None:
        super().__init__(window)
        self.syncer = syncer
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close:
            self.syncer.shutdown()
        return False


class _Clickable(QObject):
    """Turns a label into something that opens the sync window when clicked."""

    def __init__(self, label: QWidget, window: Any) -> None:
        super().__init__(label)
        self.window = window
        label.setCursor(Qt.CursorShape.PointingHandCursor)
        label.setToolTip(_("点击打开同步窗口"))
        label.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            open_sync_window(self.window)
            return True
        return False


def open_sync_window(window: Any) -> SyncWindow:
    """Show the window (one per main window) and refresh what it shows."""
    dialog: SyncWindow | None = getattr(window, "sync_window", None)
    if dialog is None:
        dialog = SyncWindow(window.ctx, window, window.online_sync)
        dialog.imported.connect(lambda: reload_after_import(window))
        dialog.changed.connect(window.refresh_pending)
        window.sync_window = dialog
    if dialog.isVisible():
        dialog.raise_()  # already open behind the main window: bring it forward
    else:
        dialog.show()
    dialog.load()
    return dialog


def reload_after_import(window: Any) -> None:
    """The county's changes can touch any household: reload the list, tree and open views."""
    window.refresh()
    for view in list(window.household_views.values()):
        view.load()


def open_online_tab(window: Any) -> SyncWindow:
    dialog = open_sync_window(window)
    dialog.tabs.setCurrentWidget(dialog.online)
    return dialog


def open_township_window(window: Any) -> Any:
    from desktop.ui.sync.township_window import TownshipWindow

    dialog = getattr(window, "township_window", None)
    if dialog is None:
        dialog = TownshipWindow(window.ctx, window, window.online_sync)
        window.township_window = dialog
    dialog.show()
    dialog.raise_()
    return dialog


def add_sync_menu(window: Any) -> None:
    syncer = OnlineSyncer(window.ctx, window)
    window.online_sync = syncer
    syncer.imported.connect(lambda: reload_after_import(window))
    syncer.finished.connect(lambda _attempt: window.refresh_pending())
    _StopOnClose(window, syncer)

    menu = window.menuBar().addMenu(_("同步"))
    window.sync_action = QAction(_("同步（U 盘交换、冲突、本机登记）…"), window)
    window.sync_action.triggered.connect(lambda: open_sync_window(window))
    menu.addAction(window.sync_action)
    window.sync_now_action = QAction(_("立即与县服务器同步"), window)
    window.sync_now_action.triggered.connect(lambda: syncer.sync_now())
    menu.addAction(window.sync_now_action)
    window.online_action = QAction(_("在线同步设置…"), window)
    window.online_action.triggered.connect(lambda: open_online_tab(window))
    menu.addAction(window.online_action)
    menu.addSeparator()
    window.township_action = QAction(_("乡镇中转 U 盘…"), window)
    window.township_action.triggered.connect(lambda: open_township_window(window))
    menu.addAction(window.township_action)
    _Clickable(window.pending_label, window)
    window.online_status = OnlineStatusWidget(syncer)
    window.statusBar().addPermanentWidget(window.online_status)
    syncer.load()
