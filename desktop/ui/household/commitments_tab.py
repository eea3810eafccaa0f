"""帮扶措施: assistance commitments; overdue ones are red here and in the household list."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
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
from desktop.core.queries.detail import HouseholdDetail, is_overdue
from desktop.core.queries.regions import list_helpers
from desktop.core.services import visits as visit_services
from desktop.ui.context import AppContext
from desktop.ui.draft_keeper import DraftKeeper
from desktop.ui.drafts import Draft
from desktop.ui.forms import FieldSpec, FormDialog, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.photo_widgets import PhotoStrip

RED = "#c62828"

COMMITMENT_FIELDS = [
    FieldSpec("category", "code:assistance_category", required=True),
    FieldSpec("measure", "choice", required=True),
    FieldSpec("promised", "multiline", span=2),
    FieldSpec("project"),
    FieldSpec("unit"),
    FieldSpec("helper_id", "choice"),
    FieldSpec("amount", "float"),
    FieldSpec("fund_source", "code:fund_source"),
    FieldSpec("due_date", "date"),
    FieldSpec("status", "code:commitment_status", required=True),
    FieldSpec("note", "multiline", span=2),
]


def commitment_columns() -> list[RowColumn]:
    today = date.today()

    def red(row: dict[str, Any]) -> str | None:
        return RED if is_overdue(row, today) else None

    def status(row: dict[str, Any]) -> str:
        text = codes.label("commitment_status", row["status"])
        return _("{status}（已过期）").format(status=text) if is_overdue(row, today) else text

    return [
        RowColumn(_("类别"), lambda r: codes.label("assistance_category", r["category"]), red),
        RowColumn(_("措施"), lambda r: codes.label("assistance_measure", r["measure"]), red),
        RowColumn(_("帮扶内容"), lambda r: r["promised"] or "", red),
        RowColumn(_("帮扶责任人"), lambda r: r.get("helper_name") or "", red),
        RowColumn(
            _("资金（元）"), lambda r: "" if r["amount"] is None else f"{r['amount']:,.0f}", red
        ),
        RowColumn(_("计划完成"), lambda r: str(r["due_date"] or ""), red),
        RowColumn(_("状态"), status, red),
        RowColumn(_("兑现日期"), lambda r: str(r["delivered_date"] or "")),
        RowColumn(_("户主确认"), lambda r: _("已签字") if r["confirmed"] else ""),
    ]


class CommitmentDialog(QDialog):
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
        self.setObjectName("commitment_dialog")
        self.setWindowTitle(_("添加帮扶措施"))
        layout = QVBoxLayout(self)
        self.form = FormWidget("commitment", COMMITMENT_FIELDS, columns=2)
        self.form.set_values({"status": "planned"})
        category = self.form.widgets["category"]
        category.currentIndexChanged.connect(self._category_changed)  # type: ignore[attr-defined]
        self._category_changed()
        layout.addWidget(self.form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)
        self.keeper = DraftKeeper(
            ctx,
            f"commitment:new:{household_id}",
            "commitment",
            household_id,
            lambda: {"values": self.form.raw_values()},
            self,
        )
        self.form.changed.connect(self.keeper.mark_dirty)
        self._draft = draft
        db = ctx.db
        ctx.runner.submit(lambda: list_helpers(db), self._on_helpers)
        if draft is not None:
            self.form.set_raw_values(draft.payload.get("values", {}))
            self._category_changed()
            self.form.set_raw_values(draft.payload.get("values", {}))
        self.resize(700, 520)

    def _on_helpers(self, helpers: list[tuple[str, str, str]]) -> None:
        self.form.set_options("helper_id", [(None, "")] + [(h[0], h[1]) for h in helpers])
        if self._draft is not None:
            self.form.set_values(
                {"helper_id": self._draft.payload.get("values", {}).get("helper_id")}
            )

    def _category_changed(self, *_args: Any) -> None:
        category = self.form.raw_values().get("category")
        options = [(m.code, m.label()) for m in codes.measures(category)] if category else []
        self.form.set_options("measure", options)

    def flush_draft(self) -> None:
        self.keeper.save_now()

    def save(self) -> None:
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        household_id = self.household_id
        self.buttons.setEnabled(False)

        def done(commitment_id: str) -> None:
            self.keeper.discard()
            self.saved.emit(commitment_id)
            self.accept()

        self.ctx.run_op(
            _("添加帮扶措施"),
            lambda uow: visit_services.add_commitment(uow, household_id, values),
            done,
            form=self.form,
            parent=self,
            on_failed=lambda: self.buttons.setEnabled(True),
        )

    def reject(self) -> None:
        self.keeper.discard()
        super().reject()


class DeliverDialog(FormDialog):
    """Mark a commitment delivered: the date, and whether the household signed for it."""

    def __init__(self, ctx: AppContext, parent: QWidget, title: str) -> None:
        super().__init__(parent)
        self.setObjectName("deliver_dialog")
        self.setWindowTitle(_("兑现：{title}").format(title=title))
        layout = QVBoxLayout(self)
        self.form = FormWidget(
            "commitment",
            [
                FieldSpec("delivered_date", "date", required=True),
                FieldSpec("confirmed", "check"),
            ],
            columns=1,
        )
        self.form.set_values({"delivered_date": date.today(), "confirmed": True})
        layout.addWidget(self.form)
        layout.addWidget(QLabel(_("兑现凭证照片（可选）：")))
        self.photos = PhotoStrip(ctx, self)
        layout.addWidget(self.photos)
        self.add_buttons(layout)


class CommitmentsTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("commitments_summary")
        layout.addWidget(self.summary)
        self.model = RowsTableModel(commitment_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("commitments_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("添加措施"))
        self.add_button.setObjectName("add_commitment")
        self.add_button.clicked.connect(lambda: self.open_dialog())
        self.deliver_button = QPushButton(_("标记已兑现"))
        self.deliver_button.setObjectName("deliver_commitment")
        self.deliver_button.clicked.connect(self.deliver_selected)
        self.start_button = QPushButton(_("开始实施"))
        self.start_button.clicked.connect(lambda: self.set_status("in_progress"))
        self.cancel_button = QPushButton(_("取消措施"))
        self.cancel_button.clicked.connect(lambda: self.set_status("cancelled"))
        for button in (self.add_button, self.deliver_button, self.start_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.model.set_rows(detail.commitments)
        overdue = detail.overdue_commitments()
        delivered = sum(1 for c in detail.commitments if c["status"] == "delivered")
        text = _("共 {n} 项措施，已兑现 {d} 项").format(n=len(detail.commitments), d=delivered)
        if overdue:
            text += _("，{n} 项已过期未兑现").format(n=len(overdue))
            self.summary.setStyleSheet(f"color: {RED}; font-weight: bold;")
        else:
            self.summary.setStyleSheet("")
        self.summary.setText(text)

    def open_dialog(self, draft: Draft | None = None) -> CommitmentDialog:
        dialog = CommitmentDialog(self.ctx, self.view.household_id, self, draft)
        dialog.show()
        return dialog

    def selected(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def deliver_selected(self) -> DeliverDialog | None:
        row = self.selected()
        if row is None:
            return None
        dialog = DeliverDialog(self.ctx, self, codes.label("assistance_measure", row["measure"]))
        dialog.accepted.connect(lambda: self._deliver(row, dialog.values, dialog.photos.entries))
        dialog.show()
        return dialog

    def _deliver(self, row: dict[str, Any], values: dict[str, Any], photos: list[Any]) -> None:
        household_id = self.view.household_id
        entries = list(photos)

        def op(uow: Any) -> None:
            visit_services.deliver_commitment(
                uow, row["id"], values["delivered_date"], bool(values.get("confirmed"))
            )
            for entry in entries:  # processed by the worker before this operation runs
                if entry.stored is not None:
                    visit_services.attach_photo(
                        uow, household_id, "commitment", row["id"], entry.photo_values()
                    )

        self.ctx.run_op(
            _("兑现措施 {measure}").format(
                measure=codes.label("assistance_measure", row["measure"])
            ),
            op,
            parent=self,
            table="commitment",
        )

    def set_status(self, status: str) -> None:
        row = self.selected()
        if row is None:
            return
        self.ctx.run_op(
            _("修改措施状态"),
            lambda uow: uow.update("commitment", row["id"], {"status": status}),
            parent=self,
            table="commitment",
        )
