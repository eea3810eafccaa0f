"""The main window's status-bar piece for online sync: a few honest words, a small progress
bar while a sync runs, and 立即同步. Hidden entirely until a server address is set (USB-only
counties never see it)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from desktop.core.i18n import _
from desktop.ui.sync import online_state as st
from desktop.ui.sync.online_syncer import OnlineSyncer


class OnlineStatusWidget(QWidget):
    def __init__(self, syncer: OnlineSyncer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.syncer = syncer
        self.setObjectName("online_status")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setObjectName("online_status_label")
        self.progress = QProgressBar()
        self.progress.setObjectName("online_status_progress")
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.button = QToolButton()
        self.button.setObjectName("online_sync_now")
        self.button.setText(_("立即同步"))
        self.button.clicked.connect(lambda: self.syncer.sync_now())
        row.addWidget(self.label)
        row.addWidget(self.progress)
        row.addWidget(self.button)
        syncer.state_changed.connect(self.show_state)
        syncer.progressed.connect(self.show_progress)
        self.show_state(syncer.state)

    def show_state(self, state: st.OnlineState) -> None:
        text, colour = st.short_status(state)
        self.setVisible(bool(text))
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {colour};" if colour else "")
        self.label.setToolTip(st.status_sentence(state, time.time()))
        self.button.setEnabled(not state.running)
        if not state.running:
            self.progress.hide()

    def show_progress(self, _step: str, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.progress.show()
