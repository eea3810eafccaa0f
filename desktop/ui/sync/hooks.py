"""Where the sync window plugs into the main window: a 同步 menu and the pending count.

The status bar's "N 条修改尚未上报县里" becomes clickable (it is what a cadre looks at when
wondering whether the county has the work), and opens the same window as the menu.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QWidget

from desktop.core.i18n import _
from desktop.ui.sync.window import SyncWindow


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
        dialog = SyncWindow(window.ctx, window)
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


def add_sync_menu(window: Any) -> None:
    menu = window.menuBar().addMenu(_("同步"))
    window.sync_action = QAction(_("同步（U 盘交换、冲突、本机登记）…"), window)
    window.sync_action.triggered.connect(lambda: open_sync_window(window))
    menu.addAction(window.sync_action)
    _Clickable(window.pending_label, window)
