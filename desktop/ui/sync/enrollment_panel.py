"""本机登记: this laptop's keys and the county's certificate; request and accept enrollment.

A laptop takes part in sync only once the county has signed a certificate for its keys. Here
the cadre writes the request file to hand to the county (``doorstep enroll request``) and
installs the certificate that comes back (``doorstep enroll accept``); both go through
``desktop.sync.keys``, which checks the certificate names this laptop and its keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.ui.context import AppContext
from desktop.ui.tasks import describe_error


@dataclass(frozen=True)
class Enrollment:
    device_id: str
    has_keys: bool
    certificate: dict[str, Any] | None
    cadre: str
    village_names: tuple[str, ...] = ()


def enrollment_state(db: Database) -> Enrollment:
    has_keys = keyring.keys_path(db).exists()
    cert = keyring.certificate(db)
    cadre = str(cert.get("cadre", "")) if cert else ""
    names = []
    with db.read() as conn:
        for code in cert.get("villages", []) if cert else []:
            name = conn.exec_driver_sql("SELECT name FROM region WHERE code = ?", (code,)).scalar()
            names.append(f"{name}（{code}）" if name else str(code))
    return Enrollment(db.device_id, has_keys, cert, cadre, tuple(names))


def accept_file(db: Database, path: Path) -> dict[str, Any]:
    return keyring.accept_certificate(db, keyring.read_json_file(path))


def write_request(db: Database, cadre: str, path: Path) -> Path:
    import json

    request = keyring.enrollment_request(db, cadre)
    try:
        path.write_text(json.dumps(request, ensure_ascii=False, indent=2) + "\n", "utf-8")
    except OSError as exc:
        raise ServiceError(
            _("无法写入 {path}：{error}").format(path=path, error=exc.strerror or exc)
        ) from None
    return path


class EnrollmentPanel(QWidget):
    changed = Signal(object)  # Enrollment, after every load

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("enrollment_panel")
        self.state: Enrollment | None = None
        layout = QVBoxLayout(self)
        box = QGroupBox(_("本机登记情况"))
        form = QFormLayout(box)
        self.state_label = QLabel()
        self.state_label.setObjectName("enrollment_state")
        self.state_label.setWordWrap(True)
        self.device_label = QLabel()
        self.device_label.setTextInteractionFlags(
            self.device_label.textInteractionFlags().TextSelectableByMouse
        )
        self.cadre_label = QLabel()
        self.villages_label = QLabel()
        self.villages_label.setWordWrap(True)
        self.issued_label = QLabel()
        form.addRow(_("状态"), self.state_label)
        form.addRow(_("设备编号"), self.device_label)
        form.addRow(_("干部"), self.cadre_label)
        form.addRow(_("可编辑的村"), self.villages_label)
        form.addRow(_("证书签发时间"), self.issued_label)
        layout.addWidget(box)

        request_box = QGroupBox(_("第一步：生成登记申请，交给县里"))
        request_row = QHBoxLayout(request_box)
        self.cadre_edit = QLineEdit()
        self.cadre_edit.setObjectName("request_cadre")
        self.cadre_edit.setPlaceholderText(_("使用这台电脑的干部姓名"))
        self.request_button = QPushButton(_("保存登记申请…"))
        self.request_button.clicked.connect(self.choose_request_file)
        request_row.addWidget(self.cadre_edit, 1)
        request_row.addWidget(self.request_button)
        layout.addWidget(request_box)

        accept_box = QGroupBox(_("第二步：安装县里签发的登记证书"))
        accept_row = QHBoxLayout(accept_box)
        self.accept_button = QPushButton(_("选择证书文件并安装…"))
        self.accept_button.setObjectName("accept_certificate")
        self.accept_button.clicked.connect(self.choose_certificate)
        accept_row.addWidget(self.accept_button)
        accept_row.addStretch(1)
        layout.addWidget(accept_box)

        self.message = QLabel()
        self.message.setObjectName("enrollment_message")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        layout.addStretch(1)

    def load(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(lambda: enrollment_state(db), self._on_state, key="enrollment")

    def _on_state(self, state: Enrollment) -> None:
        self.state = state
        cert = state.certificate
        self.device_label.setText(state.device_id)
        if cert is not None:
            self.state_label.setText(_("已登记到县里，可以同步。"))
            self.state_label.setStyleSheet("color: #2e7d32; font-weight: bold;")
            self.cadre_label.setText(state.cadre)
            self.villages_label.setText("、".join(state.village_names))
            self.issued_label.setText(str(cert.get("issued_at", "")).replace("T", " ")[:19])
        else:
            self.state_label.setText(
                _("还没有登记。请先生成登记申请交给县里，再安装县里签发的证书。")
                if not state.has_keys
                else _("已生成密钥，等待安装县里签发的登记证书。")
            )
            self.state_label.setStyleSheet("color: #b26a00; font-weight: bold;")
            for label in (self.cadre_label, self.villages_label, self.issued_label):
                label.setText("—")
        self.changed.emit(state)

    def _say(self, text: str, ok: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #2e7d32;" if ok else "color: #c62828;")
        self.message.show()

    # ------------------------------------------------------------------ request
    def choose_request_file(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("保存登记申请"), str(Path.home() / "enroll-request.json"), "JSON (*.json)"
        )
        if name:
            self.save_request(Path(name))

    def save_request(self, path: Path) -> None:
        db, cadre = self.ctx.db, self.cadre_edit.text()

        def done(written: Path) -> None:
            self._say(_("登记申请已保存到 {path}，请交给县里办理登记。").format(path=written), True)
            self.load()

        self.ctx.runner.submit(
            lambda: write_request(db, cadre, path),
            done,
            lambda exc: self._say(describe_error(exc), False),
        )

    # ------------------------------------------------------------------ accept
    def choose_certificate(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("选择登记证书"), str(Path.home()), _("登记证书 (*.json);;所有文件 (*)")
        )
        if name:
            self.accept_certificate(Path(name))

    def accept_certificate(self, path: Path) -> None:
        db = self.ctx.db

        def done(cert: dict[str, Any]) -> None:
            self._say(
                _("已安装登记证书：干部 {cadre}，可编辑村 {villages}。").format(
                    cadre=cert["cadre"], villages="、".join(cert["villages"])
                ),
                True,
            )
            self.load()

        self.ctx.runner.submit(
            lambda: accept_file(db, path),
            done,
            lambda exc: self._say(describe_error(exc), False),
        )
