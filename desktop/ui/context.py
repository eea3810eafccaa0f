"""What every window shares: the database, the worker, the undo stack, and change notifications.

``run_op`` is the one way the GUI writes (Anki's ``CollectionOp``): the operation runs on the
worker inside ``db.unit_of_work()``, errors come back as problems shown beside the fields,
warnings are confirmed by the cadre and the operation is re-run, and on success the views are told
which rows changed so they refresh themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.queries.labels import field_label
from desktop.core.services.errors import FieldProblem, ValidationFailed
from desktop.core.services.uow import Change
from desktop.ui.forms import FormWidget
from desktop.ui.tasks import TaskRunner, describe_error
from desktop.ui.undo import RecordingWork, Step, UndoStack, undo_steps


@dataclass
class OpResult:
    value: Any
    changes: list[Change]
    warnings: list[FieldProblem]
    steps: list[Step]


class AppContext(QObject):
    data_changed = Signal(object)  # list[Change]
    undo_changed = Signal()

    def __init__(self, db: Database, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner
        self.undo = UndoStack()
        self.confirm_warnings: Callable[[QWidget | None, list[FieldProblem], str], bool] = (
            ask_about_warnings
        )
        self.show_error: Callable[[QWidget | None, str], None] = show_error

    def run_op(
        self,
        label: str,
        fn: Callable[[Any], Any],
        on_done: Callable[[Any], None] | None = None,
        *,
        form: FormWidget | None = None,
        parent: QWidget | None = None,
        table: str = "",
        on_failed: Callable[[], None] | None = None,
        accept_warnings: bool = False,
        undoable: bool = True,
    ) -> None:
        """Run ``fn(uow)`` on the worker in one unit of work; see the module docstring."""
        db = self.db

        def work() -> OpResult:
            with db.unit_of_work(accept_warnings=accept_warnings) as uow:
                recording = RecordingWork(uow)
                value = fn(recording)
                return OpResult(value, list(uow.changes), list(uow.warnings), recording.steps)

        def done(result: OpResult) -> None:
            if undoable:
                self.undo.push(label, result.steps)
                self.undo_changed.emit()
            self.data_changed.emit(result.changes)
            if on_done is not None:
                on_done(result.value)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationFailed):
                errors = [p for p in exc.problems if p.severity == "error"]
                if not errors and not accept_warnings:
                    if self.confirm_warnings(parent, exc.problems, exc.table):
                        self.run_op(
                            label,
                            fn,
                            on_done,
                            form=form,
                            parent=parent,
                            table=table,
                            on_failed=on_failed,
                            accept_warnings=True,
                            undoable=undoable,
                        )
                        return
                    if form is not None:
                        form.show_problems(exc.problems)
                elif form is not None and exc.table == (table or form.table):
                    form.show_problems(exc.problems)
                else:
                    self.show_error(parent, problems_text(exc.table, exc.problems))
            else:
                self.show_error(parent, describe_error(exc))
            if on_failed is not None:
                on_failed()

        self.runner.submit(work, done, failed)

    def undo_last(self, parent: QWidget | None = None) -> None:
        entry = self.undo.pop()
        if entry is None:
            return
        self.undo_changed.emit()
        self.run_op(
            _("撤销：{label}").format(label=entry.label),
            lambda uow: undo_steps(uow._uow, entry.steps),
            parent=parent,
            accept_warnings=True,
            undoable=False,
        )


def problems_text(table: str, problems: list[FieldProblem]) -> str:
    return "\n".join(f"{field_label(table, p.field)}：{p.message}" for p in problems)


def ask_about_warnings(parent: QWidget | None, problems: list[FieldProblem], table: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("请确认"))
    box.setText(_("填写的内容有以下需要核对的地方："))
    box.setInformativeText(problems_text(table, problems) + "\n\n" + _("确认无误并保存吗？"))
    save = box.addButton(_("确认保存"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_("返回修改"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is save


def show_error(parent: QWidget | None, message: str) -> None:
    QMessageBox.warning(parent, _("未能完成"), message)
