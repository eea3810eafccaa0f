"""在线同步: the county server's address, the honest status, 立即同步 / 取消 and the last report.

Everything here reads from and talks to one ``OnlineSyncer``; the panel itself never touches
the database or the network.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.ui.sync import online_state as st
from desktop.ui.sync.online_syncer import Attempt, OnlineSyncer
from desktop.ui.sync.stick_widgets import AMBER, GREEN, RED, ReportList

OUTCOME_COLOURS = {
    st.SYNCED: GREEN,
    st.UNREACHABLE: RED,
    st.REFUSED: RED,
    st.INCOMPLETE: AMBER,
    st.CANCELLED: AMBER,
}


class OnlinePanel(QWidget):
    def __init__(self, syncer: OnlineSyncer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.syncer = syncer
        self.setObjectName("online_panel")
        layout = QVBoxLayout(self)

        address = QGroupBox(_("县服务器"))
        address_layout = QVBoxLayout(address)
        row = QHBoxLayout()
        self.server_edit = QLineEdit()
        self.server_edit.setObjectName("server_address")
        self.server_edit.setPlaceholderText(_("县服务器地址，如 http://县里:8700"))
        self.save_button = QPushButton(_("保存地址"))
        self.save_button.setObjectName("save_server")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.server_edit, 1)
        row.addWidget(self.save_button)
        address_layout.addLayout(row)
        self.auto_box = QCheckBox(_("能连上县服务器时自动在后台同步（每隔几分钟，保存后也会同步）"))
        self.auto_box.setObjectName("auto_sync")
        self.auto_box.setChecked(True)
        self.auto_box.toggled.connect(lambda _on: self.save())
        address_layout.addWidget(self.auto_box)
        self.address_error = QLabel()
        self.address_error.setObjectName("server_address_error")
        self.address_error.setStyleSheet("color: #c62828;")
        self.address_error.setWordWrap(True)
        self.address_error.hide()
        address_layout.addWidget(self.address_error)
        layout.addWidget(address)

        box = QGroupBox(_("在线同步状态"))
        form = QFormLayout(box)
        self.sentence = QLabel()
        self.sentence.setObjectName("online_sentence")
        self.sentence.setWordWrap(True)
        self.last_ok_value = QLabel()
        self.last_ok_value.setObjectName("online_last_ok")
        self.pending_value = QLabel()
        self.pending_value.setObjectName("online_pending")
        self.next_value = QLabel()
        self.next_value.setObjectName("online_next")
        form.addRow(_("状态"), self.sentence)
        form.addRow(_("上次成功同步"), self.last_ok_value)
        form.addRow(_("等待上报的修改"), self.pending_value)
        form.addRow(_("下次自动同步"), self.next_value)
        layout.addWidget(box)

        actions = QHBoxLayout()
        self.sync_button = QPushButton(_("立即同步"))
        self.sync_button.setObjectName("sync_now")
        self.sync_button.clicked.connect(lambda: self.syncer.sync_now())
        self.cancel_button = QPushButton(_("取消同步"))
        self.cancel_button.setObjectName("cancel_sync")
        self.cancel_button.clicked.connect(self.syncer.cancel)
        self.cancel_button.hide()
        actions.addWidget(self.sync_button)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.step_label = QLabel()
        self.step_label.setObjectName("online_step")
        self.step_label.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("online_progress")
        self.progress.hide()
        layout.addWidget(self.step_label)
        layout.addWidget(self.progress)
        self.report_list = ReportList("online_report")
        layout.addWidget(self.report_list, 1)

        self._ticker = QTimer(self)  # keeps "N 秒后自动重试" counting down
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(lambda: self.show_state(self.syncer.state))
        self._ticker.start()
        syncer.state_changed.connect(self.show_state)
        syncer.progressed.connect(self.show_progress)
        syncer.finished.connect(self.show_report)
        syncer.settings_failed.connect(self._address_refused)
        self._address_shown = False
        self.show_state(syncer.state)

    # ------------------------------------------------------------------ actions
    def save(self) -> None:
        self.address_error.hide()
        self.syncer.save_settings(self.server_edit.text(), self.auto_box.isChecked())

    def _address_refused(self, message: str) -> None:
        self.address_error.setText(message)
        self.address_error.show()

    # ------------------------------------------------------------------ showing
    def show_state(self, state: st.OnlineState) -> None:
        if self.syncer.loaded and not self._address_shown:
            self._address_shown = True
            self.server_edit.setText(state.server)
            self.auto_box.blockSignals(True)
            self.auto_box.setChecked(state.auto)
            self.auto_box.blockSignals(False)
        self.sentence.setText(st.status_sentence(state, time.time()))
        colour = GREEN if state.synced else OUTCOME_COLOURS.get(state.outcome, "")
        self.sentence.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self.last_ok_value.setText(st.when(state.last_ok))
        self.pending_value.setText(_("{n} 条").format(n=state.pending))
        if state.running:
            self.next_value.setText(_("正在同步"))
        elif state.next_at is not None and state.auto and state.server:
            self.next_value.setText(st.wait_text(state.next_at, time.time()))
        else:
            self.next_value.setText(_("不自动同步"))
        self.sync_button.setEnabled(not state.running and bool(state.server))
        self.cancel_button.setVisible(state.running)
        self.save_button.setEnabled(not state.running)
        if not state.running:
            self.step_label.hide()
            self.progress.hide()

    def show_progress(self, step: str, done: int, total: int) -> None:
        self.step_label.setText(st.step_text(step, done, total))
        self.step_label.show()
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.progress.show()

    def show_report(self, attempt: Attempt) -> None:
        self.report_list.clear()
        lines: list[tuple[str, str]] = []
        report = attempt.report
        if report is not None:
            for upload in report.uploads:
                lines.append((upload.message, upload.status))
            for outcome in report.imported.outcomes:
                lines.append((outcome.message, outcome.status))
            if report.nothing_new:
                lines.append((_("县里没有新的数据。"), ""))
        if attempt.outcome == st.SYNCED:
            lines.append((_("县服务器已确认收到本机的全部修改。"), "applied"))
        elif attempt.outcome == st.NOT_ENROLLED:
            lines.append((_("本机还没有登记到县里，登记后才能在线同步。"), "refused"))
        elif attempt.outcome == st.BUSY:
            lines.append((_("正在用 U 盘交换，稍后再与县服务器同步。"), "held"))
        elif attempt.message:
            lines.append((attempt.message, "refused"))
        if attempt.outcome not in (st.SYNCED, st.NOT_ENROLLED, st.BUSY):
            lines.append((_("本机数据都还在，没有上报成功的修改下次会再上报。"), ""))
        self.report_list.show_lines(lines)

    def report_lines(self) -> list[str]:
        return self.report_list.texts()
