"""The sync window (同步): exchange with a USB stick, decide conflicts, enroll this laptop, and
online sync with the county server.

One window, four tabs; everything it reads or writes runs on the app's worker. When an
exchange imported the county's changes, ``imported`` tells the main window to reload what it
shows.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from desktop.core.i18n import _
from desktop.sync.exchange import SyncStatus
from desktop.sync.usb import UsbReport
from desktop.ui.context import AppContext
from desktop.ui.sync.conflicts_panel import ConflictsPanel
from desktop.ui.sync.enrollment_panel import EnrollmentPanel
from desktop.ui.sync.exchange_panel import ExchangePanel
from desktop.ui.sync.online_panel import OnlinePanel
from desktop.ui.sync.online_syncer import OnlineSyncer


class SyncWindow(QDialog):
    imported = Signal()  # the county's changes arrived: views should reload
    changed = Signal()  # anything this window wrote (pending counts move)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, syncer: OnlineSyncer | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if syncer is None:  # a window on its own: its own syncer, stopped when the window closes
            syncer = OnlineSyncer(ctx, self)
            syncer.imported.connect(self.imported)
            syncer.load()
            self.finished.connect(lambda _result: syncer.shutdown())
        self.syncer = syncer
        self.setObjectName("sync_window")
        self.setWindowTitle(_("同步"))
        self.resize(860, 640)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("sync_tabs")
        self.exchange = ExchangePanel(ctx)
        self.conflicts = ConflictsPanel(ctx)
        self.enrollment = EnrollmentPanel(ctx)
        self.online = OnlinePanel(syncer)
        self.tabs.addTab(self.exchange, _("U 盘交换"))
        self.tabs.addTab(self.conflicts, _("冲突"))
        self.tabs.addTab(self.enrollment, _("本机登记"))
        self.tabs.addTab(self.online, _("在线同步"))
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.exchange.exchanged.connect(self._on_exchanged)
        self.exchange.status_loaded.connect(self._on_status)
        self.conflicts.counted.connect(self._show_conflict_count)
        self.conflicts.resolved.connect(lambda _id: self._after_write())
        self.enrollment.changed.connect(lambda _state: self.exchange.load_status())
        self.enrollment.changed.connect(lambda _state: syncer.load())  # enrolled: sync now
        syncer.finished.connect(lambda _attempt: self._after_online())

    def load(self) -> None:
        self.exchange.load_status()
        self.conflicts.load()
        self.enrollment.load()

    def _on_exchanged(self, report: UsbReport) -> None:
        if report.imported.by_status("applied"):
            self.imported.emit()
            self.conflicts.load()
        self.changed.emit()

    def _after_online(self) -> None:
        self.exchange.load_status()
        self.conflicts.load()
        self.changed.emit()

    def _after_write(self) -> None:
        self.exchange.load_status()
        self.changed.emit()

    def _on_status(self, status: SyncStatus) -> None:
        self._show_conflict_count(status.open_conflicts)

    def _show_conflict_count(self, count: int) -> None:
        index = self.tabs.indexOf(self.conflicts)
        self.tabs.setTabText(index, _("冲突（{n}）").format(n=count) if count else _("冲突"))
