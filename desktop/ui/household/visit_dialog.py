"""Recording a visit (走访记录): what was seen, the 两不愁三保障 + safe-water checklist,
follow-ups, photos. Kept as a draft while typed; saved with its photos in one unit of work."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.queries.regions import list_helpers
from desktop.core.services import visits as visit_services
from desktop.ui.context import AppContext
from desktop.ui.draft_keeper import DraftKeeper
from desktop.ui.drafts import Draft
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.photo_widgets import PhotoStrip

VISIT_FIELDS = [
    FieldSpec("visit_date", "date", required=True),
    FieldSpec("helper_id", "choice"),
    FieldSpec("purpose", "code:visit_purpose"),
    FieldSpec("income_spending", "multiline", span=3),
    FieldSpec("living_conditions", "multiline", span=3),
    FieldSpec("health_schooling", "multiline", span=3),
    FieldSpec("policies_received", "multiline", span=3),
    FieldSpec("wishes", "multiline", span=3),
    FieldSpec("notes", "multiline", span=3),
]
CHECKLIST = [
    FieldSpec("food_ok", "bool"),
    FieldSpec("clothing_ok", "bool"),
    FieldSpec("education_ok", "bool"),
    FieldSpec("medical_ok", "bool"),
    FieldSpec("housing_ok", "bool"),
    FieldSpec("water_ok", "bool"),
]
CLOSING = [FieldSpec("follow_ups", "multiline", span=2), FieldSpec("confirmed", "check")]


class VisitDialog(QDialog):
    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        household_id: str,
        parent: QWidget | None = None,
        draft: Draft | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.draft_key = draft.key if draft else f"visit:{household_id}:{date.today().isoformat()}"
        self.setObjectName("visit_dialog")
        self.setWindowTitle(_("新增走访记录"))
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.form = FormWidget("visit", VISIT_FIELDS, columns=3)
        self.form.set_values({"visit_date": date.today()})
        layout.addWidget(self.form)
        box = QGroupBox(_("两不愁三保障及饮水安全"))
        inner = QVBoxLayout(box)
        self.checklist = FormWidget("visit", CHECKLIST, columns=3)
        inner.addWidget(self.checklist)
        layout.addWidget(box)
        self.closing = FormWidget("visit", CLOSING, columns=2)
        layout.addWidget(self.closing)
        photos_box = QGroupBox(_("照片"))
        inner = QVBoxLayout(photos_box)
        self.photos = PhotoStrip(ctx, self)
        inner.addWidget(self.photos)
        layout.addWidget(photos_box)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        self.state = QLabel(_("填写内容会自动保存为草稿，程序意外关闭也不会丢失。"))
        self.state.setStyleSheet("color: #666;")
        outer.addWidget(self.state)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存走访记录"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("放弃"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.keeper = DraftKeeper(
            ctx, self.draft_key, "visit", household_id, self.draft_payload, self
        )
        for part in (self.form, self.checklist, self.closing):
            part.changed.connect(self.keeper.mark_dirty)
        self.photos.changed.connect(self.keeper.mark_dirty)
        self._draft = draft
        if draft is not None:
            self.restore(draft.payload)
        db = ctx.db
        ctx.runner.submit(lambda: list_helpers(db), self._on_helpers)
        self.resize(900, 760)

    def _on_helpers(self, helpers: list[tuple[str, str, str]]) -> None:
        self.form.set_options("helper_id", [(None, "")] + [(h[0], h[1]) for h in helpers])
        if self._draft is not None:
            self.form.set_values(
                {"helper_id": self._draft.payload.get("form", {}).get("helper_id")}
            )

    # ------------------------------------------------------------------ drafts
    def draft_payload(self) -> dict[str, Any]:
        return {
            "form": self.form.raw_values(),
            "checklist": self.checklist.raw_values(),
            "closing": self.closing.raw_values(),
            "photos": self.photos.draft(),
        }

    def restore(self, payload: dict[str, Any]) -> None:
        self.form.set_raw_values(payload.get("form", {}))
        self.checklist.set_raw_values(payload.get("checklist", {}))
        self.closing.set_raw_values(payload.get("closing", {}))
        self.photos.restore(payload.get("photos", []))
        self.state.setText(_("已恢复上次没有保存的内容。"))

    def flush_draft(self) -> None:
        self.keeper.save_now()  # only if something was typed since the last save

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        values: dict[str, Any] = {}
        problems = []
        for part in (self.form, self.checklist, self.closing):
            part_values, part_problems = part.values()
            values.update(part_values)
            problems += part_problems
            part.clear_problems()
        if problems:
            for part in (self.form, self.checklist, self.closing):
                part.show_problems([p for p in problems if p.field in part.specs])
            return
        household_id = self.household_id
        entries = list(self.photos.entries)
        if self.photos.pending():
            self.state.setText(_("正在处理照片，处理完后自动保存…"))

        def op(uow: Any) -> str:
            visit_id = visit_services.record_visit(uow, household_id, values)
            for entry in entries:  # photo tasks queued before this one have finished
                if entry.stored is not None:
                    visit_services.attach_photo(
                        uow, household_id, "visit", visit_id, entry.photo_values()
                    )
            return visit_id

        self.buttons.setEnabled(False)

        def done(visit_id: str) -> None:
            self.keeper.discard()
            self.saved.emit(visit_id)
            self.accept()

        self.ctx.run_op(
            _("新增走访记录"),
            op,
            done,
            form=self.form,
            parent=self,
            on_failed=lambda: self.buttons.setEnabled(True),
        )

    def reject(self) -> None:
        self.keeper.discard()
        super().reject()
