"""Adding or editing a member. The ID number is checked as it is typed; a valid number fills the
birth date and gender (unless the cadre typed different ones, which then shows as a warning)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules import idnumber
from desktop.core.services import households as services
from desktop.core.services.errors import FieldProblem
from desktop.ui.context import AppContext
from desktop.ui.draft_keeper import DraftKeeper
from desktop.ui.drafts import Draft
from desktop.ui.forms import ERROR_STYLE, FieldSpec, FormWidget

GOOD_STYLE = "color: #2e7d32;"
HINT_STYLE = "color: #666;"

MEMBER_FIELDS = [
    FieldSpec("name", required=True),
    FieldSpec("id_number", placeholder="18位身份证号或20位残疾人证号"),
    FieldSpec("gender", "code:gender"),
    FieldSpec("birth_date", "date"),
    FieldSpec("relation", "code:relation"),
    FieldSpec("ethnicity", "code:ethnicity"),
    FieldSpec("education", "code:education"),
    FieldSpec("school_status", "code:school_status"),
    FieldSpec("health", "code:health"),
    FieldSpec("labour", "code:labour"),
    FieldSpec("work_status", "code:work_status"),
    FieldSpec("work_months", "int"),
    FieldSpec("dibao", "bool"),
    FieldSpec("medical_insurance", "bool"),
    FieldSpec("serious_illness_insurance", "bool"),
    FieldSpec("pension_insurance", "bool"),
    FieldSpec("public_salaried", "bool"),
    FieldSpec("village_cadre", "bool"),
    FieldSpec("phone"),
]


class IdNumberWatcher:
    """Checks an ID number field as typed and fills birth date and gender from a valid one."""

    def __init__(self, form: FormWidget) -> None:
        self.form = form
        self.edit = form.widgets["id_number"]
        assert isinstance(self.edit, QLineEdit)
        self.note = form.errors["id_number"]
        self.filled: dict[str, Any] = {}
        self.edit.textChanged.connect(self.check)

    def check(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.note.hide()
            self.edit.setStyleSheet("")
            return
        compact = "".join(ch for ch in text if not ch.isspace())
        self.note.show()
        if compact.isdigit() and len(compact) < 18 and len(compact) != 15:
            self.note.setStyleSheet(HINT_STYLE)
            self.note.setText(
                _("已输入 {n} 位，还差 {m} 位").format(n=len(compact), m=18 - len(compact))
            )
            self.edit.setStyleSheet("")
            return
        checked = idnumber.normalise_id_text(text)
        errors = [p for p in checked.problems if p.is_error]
        if errors or checked.value is None:
            self.note.setStyleSheet(ERROR_STYLE)
            self.note.setText("\n".join(p.message for p in errors or checked.problems))
            self.edit.setStyleSheet("border: 1px solid #c62828;")
            return
        number = checked.value
        born = idnumber.birth_date_of(number)
        gender = idnumber.gender_of(number)
        self._fill("birth_date", born)
        self._fill("gender", gender)
        self.edit.setStyleSheet("")
        self.note.setStyleSheet(GOOD_STYLE)
        self.note.setText(
            _("号码有效：出生日期 {born}，{gender}").format(
                born=born.isoformat(), gender=codes.label("gender", gender)
            )
            + (("；" + "；".join(checked.changed)) if checked.changed else "")
        )

    def _fill(self, name: str, value: Any) -> None:
        raw = self.form.raw_values().get(name)
        previous = self.filled.get(name)
        blank = raw in (None, "")
        was_ours = previous is not None and raw == (
            previous.isoformat() if isinstance(previous, date) else previous
        )
        if blank or was_ours:
            self.form.set_values({name: value})
            self.filled[name] = value
            self.form.changed.emit()

    def problems(self, values: dict[str, Any]) -> list[FieldProblem]:
        """ID errors found before anything is sent to the services."""
        number = values.get("id_number")
        if not number:
            return []
        checked = idnumber.normalise_id_text(number)
        return [
            FieldProblem("id_number", p.message, p.severity, p.code)
            for p in checked.problems
            if p.is_error
        ]

    def normalised(self, values: dict[str, Any]) -> dict[str, Any]:
        number = values.get("id_number")
        if number:
            checked = idnumber.normalise_id_text(number)
            if checked.value:
                values["id_number"] = checked.value
        return values


class MemberDialog(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        household_id: str,
        member: dict[str, Any] | None = None,
        parent: QWidget | None = None,
        draft: Draft | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.member = member
        self.setObjectName("member_dialog")
        self.setWindowTitle(_("编辑成员") if member else _("添加成员"))
        layout = QVBoxLayout(self)
        self.form = FormWidget("member", MEMBER_FIELDS, columns=2)
        self.watcher = IdNumberWatcher(self.form)
        layout.addWidget(self.form)
        if member:
            self.form.set_values(member)
        hint = QLabel(_("带 * 的必须填写。身份证号填好后，出生日期和性别会自动填入。"))
        hint.setStyleSheet(HINT_STYLE)
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        key = f"member:{member['id'] if member else 'new'}:{household_id}"
        self.keeper = DraftKeeper(ctx, key, "member", household_id, self._draft_payload, self)
        self.form.changed.connect(self.keeper.mark_dirty)
        if draft is not None:
            self.form.set_raw_values(draft.payload.get("values", {}))
        self.resize(720, 560)

    def _draft_payload(self) -> dict[str, Any]:
        return {
            "values": self.form.raw_values(),
            "member_id": self.member["id"] if self.member else None,
        }

    def flush_draft(self) -> None:
        self.keeper.save_now()

    def save(self) -> None:
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        values = self.watcher.normalised(values)
        household_id, member = self.household_id, self.member
        if member is None:

            def op(uow: Any) -> str:
                orders = [m["sort_order"] for m in services.current_members(uow, household_id)]
                values.setdefault("sort_order", max(orders, default=-1) + 1)
                return services.add_member(uow, household_id, values)

            label = _("添加成员 {name}").format(name=values["name"])
        else:
            changed = {k: v for k, v in values.items() if member.get(k) != v}
            base = member.get("stamps")

            def op(uow: Any) -> str:
                services.update_member(uow, member["id"], changed, base)
                return str(member["id"])

            label = _("修改成员 {name}").format(name=values["name"])
        self.buttons.setEnabled(False)

        def done(member_id: str) -> None:
            self.keeper.discard()
            self.saved.emit(member_id)
            self.accept()

        self.ctx.run_op(
            label,
            op,
            done,
            form=self.form,
            parent=self,
            on_failed=lambda: self.buttons.setEnabled(True),
        )

    def reject(self) -> None:
        self.keeper.discard()
        super().reject()
