"""家庭成员: current members and those who left (死亡 / 迁出 / 婚出), who stay on record."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.core.rules import idnumber
from desktop.core.services import households as services
from desktop.ui.drafts import Draft
from desktop.ui.forms import FieldSpec, FormDialog, FormWidget
from desktop.ui.household.member_dialog import MemberDialog
from desktop.ui.models.rows import RowColumn, RowsTableModel

GREY = "#888888"


def _age(member: dict[str, Any]) -> str:
    born = member.get("birth_date")
    return str(idnumber.age_on(born, date.today())) if born else ""


def _state(member: dict[str, Any]) -> str:
    if member.get("left_reason"):
        return (
            f"{codes.label('left_reason', member['left_reason'])} {member.get('left_date') or ''}"
        )
    return _("在册")


def member_columns() -> list[RowColumn]:
    grey = lambda m: GREY if m.get("left_reason") else None  # noqa: E731
    return [
        RowColumn(_("姓名"), lambda m: m["name"], grey),
        RowColumn(_("与户主关系"), lambda m: codes.label("relation", m["relation"]), grey),
        RowColumn(_("性别"), lambda m: codes.label("gender", m["gender"]), grey),
        RowColumn(_("年龄"), _age, grey),
        RowColumn(_("身份证号"), lambda m: m["id_number"] or "", grey),
        RowColumn(_("健康状况"), lambda m: codes.label("health", m["health"]), grey),
        RowColumn(_("劳动技能"), lambda m: codes.label("labour", m["labour"]), grey),
        RowColumn(
            _("在校生状况"), lambda m: codes.label("school_status", m["school_status"]), grey
        ),
        RowColumn(_("状态"), _state, grey),
        RowColumn(
            _("问题"),
            lambda m: "；".join(m.get("problems", [])),
            lambda m: "#c62828" if m.get("problems") else None,
        ),
    ]


class LeaveDialog(FormDialog):
    """死亡 / 迁出 / 婚出 with a date: the member stays on record."""

    def __init__(self, parent: QWidget, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("减员：{name}").format(name=name))
        layout = QVBoxLayout(self)
        self.form = FormWidget(
            "member",
            [
                FieldSpec("left_reason", "code:left_reason", required=True),
                FieldSpec("left_date", "date", required=True),
            ],
            columns=1,
        )
        self.form.set_values({"left_date": date.today()})
        layout.addWidget(self.form)
        self.add_buttons(layout)


class MembersTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.detail: HouseholdDetail | None = None
        layout = QVBoxLayout(self)
        self.model = RowsTableModel(member_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("members_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_("添加成员"))
        self.add_button.clicked.connect(lambda: self.open_dialog(None))
        self.edit_button = QPushButton(_("编辑"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.leave_button = QPushButton(_("减员（死亡/迁出/婚出）"))
        self.leave_button.clicked.connect(self.leave_selected)
        self.head_button = QPushButton(_("设为户主"))
        self.head_button.clicked.connect(self.head_selected)
        for button in (self.add_button, self.edit_button, self.leave_button, self.head_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.detail = detail
        problems: dict[str, list[str]] = {}
        for finding in detail.findings:
            if finding["member_id"]:
                problems.setdefault(finding["member_id"], []).append(finding["message"])
        for member in detail.members:
            member["problems"] = problems.get(member["id"], [])
        current = [m for m in detail.members if not m["left_reason"]]
        left = [m for m in detail.members if m["left_reason"]]
        self.model.set_rows(current + left)

    def selected(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def open_dialog(
        self, member: dict[str, Any] | None, draft: Draft | None = None
    ) -> MemberDialog:
        if draft is not None and self.detail is not None:
            member_id = draft.payload.get("member_id")
            member = next((m for m in self.detail.members if m["id"] == member_id), None)
        dialog = MemberDialog(self.ctx, self.view.household_id, member, self, draft)
        dialog.show()
        return dialog

    def edit_selected(self) -> None:
        member = self.selected()
        if member is not None:
            self.open_dialog(member)

    def leave_selected(self) -> LeaveDialog | None:
        member = self.selected()
        if member is None or member.get("left_reason"):
            return None
        dialog = LeaveDialog(self, member["name"])
        dialog.accepted.connect(lambda: self._leave(member, dialog.values))
        dialog.show()
        return dialog

    def _leave(self, member: dict[str, Any], values: dict[str, Any]) -> None:
        reason, when = values["left_reason"], values["left_date"]
        self.ctx.run_op(
            _("{name} 减员").format(name=member["name"]),
            lambda uow: services.member_leaves(uow, member["id"], reason, when),
            parent=self,
        )

    def head_selected(self) -> None:
        member = self.selected()
        if member is None:
            return
        household_id = self.view.household_id
        self.ctx.run_op(
            _("设 {name} 为户主").format(name=member["name"]),
            lambda uow: services.set_head(uow, household_id, member["id"]),
            parent=self,
        )
