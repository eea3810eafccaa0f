"""乡镇中转: the township office relays a village's USB stick to and from the county.

First use: the office enrolls as a relay station with the county (its name and the enrollment
code the county issued for it; the code says which villages it serves). Then for each stick: pick it and press 开始中转 —
``desktop.sync.relay.relay_stick`` takes the outbox bundles off the stick and forwards them (or
keeps them to forward later when the county cannot be reached), and writes the county's
down-bundles for the laptops it knows onto the stick. It checks who signed each bundle but can
read none. The report is shown first; only then, and only when the relay finished, does the
window say the stick can be removed.

The relay waits on the network and never touches the laptop database, so it runs on its own
thread (``BackgroundJob``), not on the app's one worker. The station's folder is the same one
``doorstep usb relay`` uses, so the command line and the window share one queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
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
from desktop.core.services.errors import ServiceError
from desktop.ui.context import AppContext
from desktop.ui.sync.background import BackgroundJob
from desktop.ui.sync.online_syncer import OnlineSyncer
from desktop.ui.sync.stick_widgets import AMBER, GREEN, RED, ReportList, StickPicker
from desktop.ui.tasks import describe_error


@dataclass(frozen=True)
class StationState:
    enrolled: bool
    name: str = ""
    villages: tuple[str, ...] = ()
    server: str = ""
    problem: str = ""  # a damaged state folder, in a sentence


def station_state(state_dir: Path) -> StationState:
    from desktop.sync.station import Station, StationError

    try:
        cert = Station(state_dir).certificate()
    except StationError as exc:
        return StationState(False, problem=str(exc))
    if cert is None:
        return StationState(False)
    return StationState(
        True,
        str(cert.get("name", "")),
        tuple(str(v) for v in cert.get("villages", [])),
        str(cert.get("server") or ""),
    )


def enroll(state_dir: Path, server: str, name: str, code: str) -> StationState:
    """Enroll with the code the county issued for this station: the code says which villages."""
    from desktop.sync.relay import enroll_station

    if not server:
        raise ServiceError(_("请填写县服务器地址。"))
    if not code.strip():
        raise ServiceError(_("请填写县里为本站签发的登记口令。"))
    enroll_station(state_dir, server, name, code.strip())
    return station_state(state_dir)


def relay(stick: Path, server: str | None, state_dir: Path, progress: Any) -> Any:
    from desktop.sync.relay import relay_stick

    return relay_stick(stick, server, state_dir, progress)


def report_lines(report: Any) -> list[tuple[str, str]]:
    """(sentence, colour) lines: a count line, then the relay's own summary sentences with the
    refused files in red; the closing "可以拔出" line is said by the green banner instead."""
    counts = _("转交县里 {f} 个，暂存本站 {s} 个，写入 U 盘 {w} 个，没有收下 {r} 个。").format(
        f=len(report.forwarded), s=len(report.stored), w=len(report.written), r=len(report.refused)
    )
    lines = [(counts, "bold")]
    refused = {f"  {item.name}：{item.message}" for item in report.refused}
    summary = report.summary().splitlines()
    if report.safe_to_remove and summary:
        summary = summary[:-1]
    for line in summary:
        if line in refused:
            lines.append((line.strip(), RED))
        elif report.offline_reason and report.offline_reason in line:
            lines.append((line, AMBER))
        else:
            lines.append((line.strip() if line.startswith("  ") else line, ""))
    return lines


class TownshipWindow(QDialog):
    relayed = Signal(object)  # the RelayReport
    finished_relay = Signal()  # after every relay attempt, whether it worked or not
    enrolled = Signal(object)  # StationState, after every enrollment attempt

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        syncer: OnlineSyncer | None = None,
        state_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        from desktop.sync.station import default_state_dir

        self.ctx = ctx
        self.state_dir = state_dir or default_state_dir()
        self.setObjectName("township_window")
        self.setWindowTitle(_("乡镇中转 U 盘"))
        self.resize(780, 640)
        self.job = BackgroundJob(self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_success)
        self.job.failed.connect(self._on_failed)
        self._doing = ""  # "enroll" | "relay"
        layout = QVBoxLayout(self)

        hint = QLabel(
            _(
                "乡镇办公室用：把村里送来的 U 盘插上，选择 U 盘，点“开始中转”。村里的数据包转交县里"
                "（连不上县里时先存在本机，下次再转），县里发给各台电脑的数据包写回 U 盘。"
                "中转只核对数据包是谁签名的，看不到里面的内容。"
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)

        server_row = QFormLayout()
        self.server_edit = QLineEdit()
        self.server_edit.setObjectName("relay_server")
        self.server_edit.setPlaceholderText(_("县服务器地址；不填则用登记时的地址"))
        if syncer is not None and syncer.state.server:
            self.server_edit.setText(syncer.state.server)
        server_row.addRow(_("县服务器"), self.server_edit)
        layout.addLayout(server_row)

        self.enroll_box = QGroupBox(_("第一次使用：在县里登记本站"))
        enroll_form = QFormLayout(self.enroll_box)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("station_name")
        self.name_edit.setPlaceholderText(_("中转站名称，如乡镇名"))
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("station_code")
        self.code_edit.setPlaceholderText(_("县里为本站签发的登记口令，口令写明服务的村"))
        self.enroll_button = QPushButton(_("登记本站"))
        self.enroll_button.setObjectName("enroll_station")
        self.enroll_button.clicked.connect(self.start_enroll)
        enroll_form.addRow(_("名称"), self.name_edit)
        enroll_form.addRow(_("登记口令"), self.code_edit)
        button_row = QHBoxLayout()
        button_row.addWidget(self.enroll_button)
        button_row.addStretch(1)
        enroll_form.addRow("", button_row)
        layout.addWidget(self.enroll_box)
        self.station_label = QLabel()
        self.station_label.setObjectName("station_state")
        self.station_label.setWordWrap(True)
        layout.addWidget(self.station_label)

        self.relay_box = QGroupBox(_("中转 U 盘"))
        relay_layout = QVBoxLayout(self.relay_box)
        picker = StickPicker(_("开始中转"), self.start_relay, "relay_stick", "start_relay")
        self.stick_edit = picker.edit
        self.choose_button, self.start_button = picker.choose_button, picker.start_button
        relay_layout.addWidget(picker)
        self.place_label = QLabel(_("本站暂存位置：{path}").format(path=self.state_dir))
        self.place_label.setStyleSheet("color: #555;")
        relay_layout.addWidget(self.place_label)
        layout.addWidget(self.relay_box)

        self.progress_text = QLabel()
        self.progress_text.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("relay_progress")
        self.progress.hide()
        layout.addWidget(self.progress_text)
        layout.addWidget(self.progress)
        self.report_list = ReportList("relay_report")
        layout.addWidget(self.report_list, 1)
        self.safe_label = QLabel(_("中转完成，可以拔出U盘了"))
        self.safe_label.setObjectName("relay_safe_to_remove")
        self.safe_label.setStyleSheet(
            "font-size: 16px; font-weight: bold; color: white; background: #2e7d32;"
            " padding: 6px; border-radius: 3px;"
        )
        self.safe_label.hide()
        layout.addWidget(self.safe_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_station(station_state(self.state_dir))

    # ------------------------------------------------------------------ station
    def show_station(self, state: StationState) -> None:
        self.station = state
        self.enroll_box.setVisible(not state.enrolled)
        self.relay_box.setEnabled(state.enrolled)
        if state.enrolled:
            self.station_label.setText(
                _("本站“{name}”已在县里登记，服务的村：{villages}。").format(
                    name=state.name, villages="、".join(state.villages)
                )
            )
            self.station_label.setStyleSheet(f"color: {GREEN};")
            if not self.server_edit.text() and state.server:
                self.server_edit.setText(state.server)
        else:
            self.station_label.setText(
                state.problem or _("本站还没有在县里登记：填写上面的内容后点“登记本站”。")
            )
            self.station_label.setStyleSheet(f"color: {AMBER};")

    def start_enroll(self) -> bool:
        if self.job.running():
            return False
        state_dir, server = self.state_dir, self.server_edit.text().strip()
        name, code = self.name_edit.text(), self.code_edit.text()
        self._doing = "enroll"
        self._busy(_("正在向县里登记本站…"))
        return self.job.start(lambda _progress: enroll(state_dir, server, name, code))

    # ------------------------------------------------------------------ relay
    def start_relay(self) -> bool:
        text = self.stick_edit.text().strip()
        if not text:
            self._show([(_("请先选择 U 盘或文件夹。"), RED)])
            return False
        if self.job.running():
            return False
        stick, state_dir = Path(text), self.state_dir
        server = self.server_edit.text().strip() or None
        self.safe_label.hide()
        self._doing = "relay"
        self._busy(_("正在中转，请不要拔出 U 盘…"))
        return self.job.start(
            lambda progress: relay(stick, server, state_dir, progress), "doorstep-relay"
        )

    # ------------------------------------------------------------------ results
    def _busy(self, text: str) -> None:
        self.report_list.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_text.setText(text)
        self.progress_text.show()
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.enroll_box, self.relay_box, self.server_edit):
            widget.setEnabled(on)
        if on:
            self.relay_box.setEnabled(self.station.enrolled)

    def _on_progress(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        if what:
            self.progress_text.setText(_("正在中转：{what}").format(what=what))

    def _finish(self) -> None:
        self.progress.hide()
        self.progress_text.hide()
        self._set_enabled(True)

    def _on_success(self, result: Any) -> None:
        self._finish()
        if self._doing == "enroll":
            self.show_station(result)
            self._show([(_("本站已在县里登记，可以中转 U 盘了。"), GREEN)])
            self.enrolled.emit(result)
            return
        self._show(report_lines(result))
        self.safe_label.setVisible(bool(result.safe_to_remove))
        self.relayed.emit(result)
        self.finished_relay.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        if self._doing == "enroll":
            self._show([(describe_error(exc), RED)])
            self.show_station(station_state(self.state_dir))
            self.enrolled.emit(self.station)
            return
        self._show(
            [
                (describe_error(exc), RED),
                (_("中转没有完成，请不要拔出 U 盘，检查后再试一次。"), RED),
            ]
        )
        self.finished_relay.emit()

    def _show(self, lines: list[tuple[str, str]]) -> None:
        self.report_list.show_lines(lines)

    def report_texts(self) -> list[str]:
        return self.report_list.texts()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.job.wait(30)  # a relay writing to the stick finishes before the window goes
        super().closeEvent(event)
