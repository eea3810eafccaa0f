"""Registering a new household with its members in one step (one unit of work)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.queries.regions import groups_of, villages
from desktop.core.services import households as services
from desktop.core.services.errors import FieldProblem
from desktop.ui.context import AppContext
from desktop.ui.draft_keeper import DraftKeeper
from desktop.ui.drafts import Draft
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.household.member_dialog import IdNumberWatcher
from desktop.ui.models.rows import RowColumn, RowsTableModel

HOUSEHOLD_FIELDS = [
    FieldSpec("village_code", "choice", required=True),
    FieldSpec("group_code", "choice"),
    FieldSpec("number", required=True),
    FieldSpec("phone"),
    FieldSpec("standard", "code:standard"),
    FieldSpec("category", "code:category"),
    FieldSpec("status", "code:household_status", required=True),
    FieldSpec("main_cause", "code:cause"),
]
QUICK_MEMBER_FIELDS = [
    FieldSpec("name", required=True),
    FieldSpec("id_number", placeholder="18位身份证号或20位残疾人证号"),
    FieldSpec("relation", "code:relation", required=True),
    FieldSpec("gender", "code:gender"),
    FieldSpec("birth_date", "date"),
    FieldSpec("ethnicity", "code:ethnicity"),
    FieldSpec("education", "code:education"),
    FieldSpec("health", "code:health"),
    FieldSpec("labour", "code:labour"),
]


class NewHouseholdDialog(QDialog):
    created = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        village_code: str | None = None,
        draft: Draft | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("new_household_dialog")
        self.setWindowTitle(_("新增农户"))
        self.members: list[dict[str, Any]] = []
        self._village = village_code
        self._draft = draft
        layout = QVBoxLayout(self)
        self.form = FormWidget("household", HOUSEHOLD_FIELDS, columns=2)
        self.form.set_values({"status": "identifying"})
        self.form.widgets["village_code"].currentIndexChanged.connect(self._village_changed)  # type: ignore[attr-defined]
        layout.addWidget(self.form)

        box = QGroupBox(_("家庭成员（先添加户主）"))
        inner = QVBoxLayout(box)
        self.member_form = FormWidget("member", QUICK_MEMBER_FIELDS, columns=3)
        self.watcher = IdNumberWatcher(self.member_form)
        self.member_form.set_values({"relation": "head", "ethnicity": "01"})
        inner.addWidget(self.member_form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.add_member_button = QPushButton(_("加入成员列表"))
        self.add_member_button.setObjectName("add_member_to_list")
        self.add_member_button.clicked.connect(self.add_member)
        self.remove_member_button = QPushButton(_("移出所选成员"))
        self.remove_member_button.clicked.connect(self.remove_member)
        row.addWidget(self.remove_member_button)
        row.addWidget(self.add_member_button)
        inner.addLayout(row)
        self.member_model = RowsTableModel(
            [
                RowColumn(_("姓名"), lambda m: m["name"]),
                RowColumn(_("与户主关系"), lambda m: codes.label("relation", m.get("relation"))),
                RowColumn(_("身份证号"), lambda m: m.get("id_number") or ""),
                RowColumn(_("性别"), lambda m: codes.label("gender", m.get("gender"))),
                RowColumn(_("出生日期"), lambda m: str(m.get("birth_date") or "")),
            ],
            self,
        )
        self.member_table = QTableView()
        self.member_table.setModel(self.member_model)
        self.member_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.member_table.verticalHeader().hide()
        self.member_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.member_table.setMaximumHeight(160)
        inner.addWidget(self.member_table)
        layout.addWidget(box)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.keeper = DraftKeeper(
            ctx, "new_household", "new_household", None, self.draft_payload, self
        )
        self.form.changed.connect(self.keeper.mark_dirty)
        self.member_form.changed.connect(self.keeper.mark_dirty)
        if draft is not None:
            self.form.set_raw_values(draft.payload.get("form", {}))
            self.member_form.set_raw_values(draft.payload.get("member_form", {}))
            self.members = list(draft.payload.get("members", []))
            self.member_model.set_rows(self.members)
            self._village = draft.payload.get("form", {}).get("village_code")
        db = ctx.db
        ctx.runner.submit(lambda: villages(db), self._on_villages)
        self.resize(860, 720)

    # ------------------------------------------------------------------ places
    def _on_villages(self, rows: list[tuple[str, str, str]]) -> None:
        if not rows:
            self.message.setText(
                _("本机还没有行政村。请先导入建档立卡名册，或与县里同步一次，再新增农户。")
            )
        self.form.set_options(
            "village_code", [(None, "")] + [(c, f"{t} {n}".strip()) for c, n, t in rows]
        )
        if self._village:
            self.form.set_values({"village_code": self._village})
            self._village_changed()

    def _village_changed(self, *_args: Any) -> None:
        village = self.form.raw_values().get("village_code")
        if not village:
            self.form.set_options("group_code", [(None, "")])
            return
        db = self.ctx.db
        wanted = (self._draft.payload.get("form", {}) if self._draft else {}).get("group_code")

        def done(groups: list[tuple[str, str]]) -> None:
            self.form.set_options("group_code", [(None, "")] + list(groups))
            if wanted:
                self.form.set_values({"group_code": wanted})

        self.ctx.runner.submit(lambda: groups_of(db, village), done)

    # ------------------------------------------------------------------ members
    def add_member(self) -> bool:
        values, problems = self.member_form.values()
        problems += self.watcher.problems(values)
        if problems:
            self.member_form.show_problems(problems)
            return False
        values = self.watcher.normalised(values)
        if values.get("relation") == services.HEAD and any(
            m.get("relation") == services.HEAD for m in self.members
        ):
            self.member_form.show_problems([FieldProblem("relation", _("已经有户主了。"))])
            return False
        number = values.get("id_number")
        if number and any(m.get("id_number") == number for m in self.members):
            self.member_form.show_problems(
                [FieldProblem("id_number", _("这个身份证号已在成员列表中。"))]
            )
            return False
        self.members.append(values)
        self.member_model.set_rows(self.members)
        self.member_form.clear_problems()
        self.member_form.set_values(
            {n.name: None for n in QUICK_MEMBER_FIELDS}
            | {"name": "", "id_number": "", "birth_date": ""}
        )
        self.member_form.set_values({"relation": None, "ethnicity": values.get("ethnicity")})
        self.keeper.mark_dirty()
        return True

    def remove_member(self) -> None:
        index = self.member_table.currentIndex()
        if index.isValid():
            del self.members[index.row()]
            self.member_model.set_rows(self.members)
            self.keeper.mark_dirty()

    # ------------------------------------------------------------------ drafts and saving
    def draft_payload(self) -> dict[str, Any]:
        return {
            "form": self.form.raw_values(),
            "member_form": self.member_form.raw_values(),
            "members": self.members,
        }

    def flush_draft(self) -> None:
        self.keeper.save_now()  # only if something was typed since the last save

    def save(self) -> None:
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        typed = self.member_form.raw_values()
        if (typed.get("name") or "").strip() and not self.add_member():
            return
        if not any(m.get("relation") == services.HEAD for m in self.members):
            self.message.setText(_("请至少添加户主（与户主关系选“户主”）。"))
            return
        self.message.clear()
        members = [dict(m) for m in self.members]

        def op(uow: Any) -> str:
            values.update(_parents(uow, values["village_code"]))
            return services.create_household(uow, values, members)

        self.buttons.setEnabled(False)

        def done(household_id: str) -> None:
            self.keeper.discard()
            self.created.emit(household_id)
            self.accept()

        def failed() -> None:
            self.buttons.setEnabled(True)

        self.ctx.run_op(
            _("新增农户 {number}").format(number=values["number"]),
            op,
            done,
            form=self.form,
            parent=self,
            table="household",
            on_failed=failed,
        )

    def reject(self) -> None:
        self.keeper.discard()
        super().reject()


def _parents(uow: Any, village_code: str) -> dict[str, str]:
    """The township and county codes above a village, from the region table."""
    codes_above = {"township_code": "", "county_code": ""}
    code: str | None = village_code
    for _level in range(4):
        row = uow.connection.exec_driver_sql(
            "SELECT parent_code, level FROM region WHERE code = ?", (code,)
        ).first()
        if row is None or row[0] is None:
            break
        parent = uow.connection.exec_driver_sql(
            "SELECT level FROM region WHERE code = ?", (row[0],)
        ).scalar()
        if parent in ("township", "county"):
            codes_above[f"{parent}_code"] = row[0]
        code = row[0]
    return codes_above
