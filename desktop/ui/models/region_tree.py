"""The township → village → group tree with household counts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from desktop.core.i18n import _
from desktop.core.queries.regions import RegionNode

LEVEL_ROLE = Qt.ItemDataRole.UserRole + 1
CODE_ROLE = Qt.ItemDataRole.UserRole + 2


class RegionTreeModel(QStandardItemModel):
    """Filled from ``region_tree`` results (read on the worker); the top row means 'everywhere'."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels([_("区划"), _("户数")])

    def set_tree(self, roots: list[RegionNode]) -> None:
        self.removeRows(0, self.rowCount())
        total = sum(node.count for node in roots)
        everything = self._row(_("全部"), "all", "", total)
        self.appendRow(everything)
        for node in roots:
            self._add(everything[0], node)

    def _row(self, name: str, level: str, code: str, count: int) -> list[QStandardItem]:
        label = QStandardItem(name)
        label.setData(level, LEVEL_ROLE)
        label.setData(code, CODE_ROLE)
        label.setEditable(False)
        number = QStandardItem(str(count))
        number.setEditable(False)
        number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return [label, number]

    def _add(self, parent: QStandardItem, node: RegionNode) -> None:
        row = self._row(node.name, node.level, node.code, node.count)
        parent.appendRow(row)
        for child in node.children:
            self._add(row[0], child)
