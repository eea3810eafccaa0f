"""One household, in tabs: basics, members, income, causes and plan, commitments, visits, photos,
history. The whole household is read on the worker in one go and handed to every tab."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail, household_detail
from desktop.ui.context import AppContext
from desktop.ui.drafts import Draft


class HouseholdView(QWidget):
    title_changed = Signal(str)
    loaded = Signal()

    def __init__(self, ctx: AppContext, household_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from desktop.ui.household.basic_tab import BasicTab
        from desktop.ui.household.commitments_tab import CommitmentsTab
        from desktop.ui.household.history_tab import HistoryTab
        from desktop.ui.household.income_tab import IncomeTab
        from desktop.ui.household.members_tab import MembersTab
        from desktop.ui.household.photos_tab import PhotosTab
        from desktop.ui.household.plan_tab import PlanTab
        from desktop.ui.household.visits_tab import VisitsTab

        self.ctx = ctx
        self.household_id = household_id
        self.detail: HouseholdDetail | None = None
        self.setObjectName("household_view")
        layout = QVBoxLayout(self)
        self.header = QLabel(_("正在读取…"))
        self.header.setObjectName("household_header")
        self.header.setStyleSheet("font-size: 15px; font-weight: bold; padding: 6px 4px;")
        self.alerts = QLabel()
        self.alerts.setObjectName("household_alerts")
        self.alerts.setStyleSheet("color: #c62828; padding: 0 4px 4px 4px;")
        self.alerts.setWordWrap(True)
        self.alerts.hide()
        layout.addWidget(self.header)
        layout.addWidget(self.alerts)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("household_tabs")
        layout.addWidget(self.tabs)
        self.basic = BasicTab(self)
        self.members = MembersTab(self)
        self.income = IncomeTab(self)
        self.plan = PlanTab(self)
        self.commitments = CommitmentsTab(self)
        self.visits = VisitsTab(self)
        self.photos = PhotosTab(self)
        self.history = HistoryTab(self)
        for tab, title in (
            (self.basic, _("基本信息")),
            (self.members, _("家庭成员")),
            (self.income, _("收入")),
            (self.plan, _("致贫原因与帮扶计划")),
            (self.commitments, _("帮扶措施")),
            (self.visits, _("走访记录")),
            (self.photos, _("照片")),
            (self.history, _("变更历史")),
        ):
            self.tabs.addTab(tab, title)
        from desktop.ui.printing.hooks import add_household_print_button

        add_household_print_button(self)
        from desktop.ui.targeting.household_tabs import add_targeting_tabs

        add_targeting_tabs(self)
        self.load()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        db, household_id = self.ctx.db, self.household_id
        self.ctx.runner.submit(
            lambda: household_detail(db, household_id),
            self._on_detail,
            key=f"household-detail-{household_id}",
        )
        self.history.load()

    def _on_detail(self, detail: HouseholdDetail) -> None:
        self.detail = detail
        h = detail.household
        place = " ".join(
            detail.region_names.get(code or "", "")
            for code in (h["township_code"], h["village_code"], h["group_code"])
        ).strip()
        status = codes.label("household_status", h["status"])
        head = h["head_name"] or _("（未设户主）")
        self.header.setText(
            _("{head} 户 · 户编号 {number} · {place} · {status} · 人口 {size}").format(
                head=head, number=h["number"], place=place, status=status, size=h["size"]
            )
        )
        self.title_changed.emit(f"{head} {h['number']}")
        alerts = []
        overdue = detail.overdue_commitments(date.today())
        if overdue:
            alerts.append(_("{n} 项帮扶措施已过期未兑现").format(n=len(overdue)))
        if detail.findings:
            alerts.append(_("数据检查发现 {n} 个问题").format(n=len(detail.findings)))
        self.alerts.setText("；".join(alerts))
        self.alerts.setVisible(bool(alerts))
        for tab in (
            self.basic,
            self.members,
            self.income,
            self.plan,
            self.commitments,
            self.visits,
            self.photos,
        ):
            tab.show_detail(detail)
        self.loaded.emit()

    def on_changes(self, changes: list[Any]) -> None:
        if any(c.household_id == self.household_id for c in changes):
            self.load()

    # ------------------------------------------------------------------ drafts
    def restore_draft(self, draft: Draft) -> Any:
        if draft.kind == "visit":
            self.tabs.setCurrentWidget(self.visits)
            return self.visits.open_dialog(draft)
        if draft.kind == "household_form":
            self.tabs.setCurrentWidget(self.basic)
            self.basic.restore_draft(draft)
            return self.basic
        if draft.kind == "member":
            self.tabs.setCurrentWidget(self.members)
            return self.members.open_dialog(None, draft)
        if draft.kind == "commitment":
            self.tabs.setCurrentWidget(self.commitments)
            return self.commitments.open_dialog(draft)
        return None

    def flush_drafts(self) -> None:
        for keeper in self.findChildren(QWidget):
            flush = getattr(keeper, "flush_draft", None)
            if callable(flush):
                flush()
        self.basic.flush_draft()

    def can_close(self) -> bool:
        if not self.basic.is_dirty():
            return True
        answer = QMessageBox.question(
            self,
            _("还有修改没有保存"),
            _("基本信息有修改还没有保存。关闭后这些修改会保留为草稿，下次可以恢复。仍要关闭吗？"),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.basic.flush_draft()
            return True
        return False
