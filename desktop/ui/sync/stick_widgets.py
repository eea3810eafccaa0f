"""The pieces every exchange screen shows the same way: a stick-or-folder picker with its start
button, and the report list coloured by what happened to each bundle (USB exchange, online sync
and the township relay all use them, so a cadre reads one look everywhere)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from desktop.core.i18n import _

RED, AMBER, GREEN = "#c62828", "#b26a00", "#2e7d32"
STATUS_COLOURS = {"refused": RED, "held": AMBER, "applied": GREEN}
BOLD_STYLES = ("summary", "bold")


class StickPicker(QWidget):
    """Where the stick (or a folder standing for it) is, a 选择… button, and the start button."""

    def __init__(
        self,
        start_text: str,
        on_start: Callable[[], object],
        edit_name: str,
        start_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setObjectName(edit_name)
        self.edit.setPlaceholderText(_("U 盘或文件夹的位置"))
        self.choose_button = QPushButton(_("选择…"))
        self.choose_button.clicked.connect(self.choose)
        self.start_button = QPushButton(start_text)
        self.start_button.setObjectName(start_name)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(on_start)
        row.addWidget(self.edit, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.start_button)

    def choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, _("选择 U 盘或文件夹"), self.edit.text() or str(Path.home())
        )
        if folder:
            self.edit.setText(folder)


class ReportList(QListWidget):
    """A report's lines; each line's style is a status (refused/held/applied), "summary" or
    "bold" for a heading, a colour like "#c62828", or "" for plain text."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)

    def show_lines(self, lines: Iterable[tuple[str, str]]) -> None:
        self.clear()
        for text, style in lines:
            item = QListWidgetItem(text)
            if style in BOLD_STYLES:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            else:
                colour = STATUS_COLOURS.get(style) or (style if style.startswith("#") else "")
                if colour:
                    item.setForeground(QBrush(QColor(colour)))
            self.addItem(item)

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]
