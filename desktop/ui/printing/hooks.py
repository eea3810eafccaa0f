"""Where printing plugs into the main window and the household view (kept out of their code).

The main window gets a 打印 menu (the village chosen in the tree, or the household in the
current tab); the household view gets a 打印台账 button beside its tabs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from desktop.core.i18n import _
from desktop.ui.models.region_tree import CODE_ROLE, LEVEL_ROLE
from desktop.ui.printing.jobs import household_ledger_job
from desktop.ui.printing.preview import PrintPreview, open_preview
from desktop.ui.printing.village_dialog import VillagePrintDialog


def selected_village(window: Any) -> tuple[str, str] | None:
    """(code, name) of the village chosen in the tree (a group counts as its village)."""
    index = window.tree.currentIndex()
    while index.isValid():
        if index.data(LEVEL_ROLE) == "village":
            return str(index.data(CODE_ROLE)), str(index.data())
        index = index.parent()
    return None


def print_village(window: Any) -> VillagePrintDialog | None:
    village = selected_village(window)
    if village is None:
        window.ctx.show_error(window, _("请先在左边的区划树中选择一个村，再打印本村材料。"))
        return None
    dialog = VillagePrintDialog(window.ctx, village[0], village[1], window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def print_household(view: Any) -> PrintPreview:
    """The ledger of the household a view shows."""
    title = ""
    if view.detail is not None:
        h = view.detail.household
        title = f"{h['head_name'] or ''} {h['number']}".strip()
    return open_preview(view.ctx, household_ledger_job(view.household_id, title), view)


def print_current_household(window: Any) -> PrintPreview | None:
    view = window.tabs.currentWidget()
    if getattr(view, "household_id", None) is None:
        window.ctx.show_error(window, _("请先打开一户，再打印这户的台账。"))
        return None
    return print_household(view)


def add_print_menu(window: Any) -> None:
    menu = window.menuBar().addMenu(_("打印"))
    window.print_village_action = QAction(_("打印本村台账、公示和汇总…"), window)
    window.print_village_action.setShortcut("Ctrl+Shift+P")
    window.print_village_action.triggered.connect(lambda: print_village(window))
    window.print_household_action = QAction(_("打印当前农户的台账…"), window)
    window.print_household_action.setShortcut("Ctrl+P")
    window.print_household_action.triggered.connect(lambda: print_current_household(window))
    menu.addAction(window.print_village_action)
    menu.addAction(window.print_household_action)


def add_household_print_button(view: Any) -> QPushButton:
    """A 打印台账 button in the corner of the household's tab bar."""
    button = QPushButton(_("打印台账…"))
    button.setObjectName("print_ledger_button")
    button.setToolTip(_("预览并打印这户的一户一本台账"))
    button.clicked.connect(lambda: print_household(view))
    corner = view.tabs.cornerWidget(Qt.Corner.TopRightCorner)
    if corner is None:
        corner = QWidget()
        row = QHBoxLayout(corner)
        row.setContentsMargins(0, 0, 4, 0)
        view.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
    layout = corner.layout()
    if layout is not None:
        layout.addWidget(button)
    return button
