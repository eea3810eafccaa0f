"""本村评议、抽查与比对: one window per village, opened from the region tree.

Four pages: applicants ranked by score, eligibility flags, spot checks and registry lists. Each
page reads on the worker when first shown; double-clicking a household anywhere opens it in the
main window.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from desktop.core.i18n import _
from desktop.ui.context import AppContext
from desktop.ui.targeting.registry_page import RegistryPage
from desktop.ui.targeting.spotcheck_page import SpotCheckPage
from desktop.ui.targeting.village_pages import FlagsPage, RankingPage


class VillageTargetingDialog(QDialog):
    open_household = Signal(str, str)

    def __init__(
        self, ctx: AppContext, village: str, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.village = ctx, village
        self.setObjectName("village_targeting_dialog")
        self.setWindowTitle(_("{name}：评议排序、四进七不进、抽查与比对").format(name=name))
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.ranking = RankingPage(ctx, village, self)
        self.flags = FlagsPage(ctx, village, self)
        self.spotcheck = SpotCheckPage(ctx, village, self)
        self.registry = RegistryPage(ctx, village, self)
        for page, title in (
            (self.ranking, _("评分排序")),
            (self.flags, _("四进七不进")),
            (self.spotcheck, _("抽查")),
            (self.registry, _("大数据比对")),
        ):
            self.tabs.addTab(page, title)
            page.open_household.connect(self.open_household)
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._loaded: set[int] = set()
        self.tabs.currentChanged.connect(self._load_page)
        self._load_page(0)
        self.resize(980, 680)

    def _load_page(self, index: int) -> None:
        """Read a page the first time it is shown (the spot-check page waits for 抽取)."""
        if index in self._loaded:
            return
        self._loaded.add(index)
        page = self.tabs.widget(index)
        load = getattr(page, "load", None)
        if callable(load):
            load()
