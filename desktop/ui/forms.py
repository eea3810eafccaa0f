"""Form fields with the error shown right under the field, in the cadre's language.

A ``FormWidget`` is described by ``FieldSpec``s (name, kind, label) and yields typed values plus
the problems it found while parsing (a date that is not a date, a number with letters in it).
Problems from the services (``ValidationFailed.problems``) are shown the same way, beside the
field they name; errors are red and block saving, warnings are amber and need a confirmation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.queries.labels import field_label
from desktop.core.rules import validators
from desktop.core.rules.problems import Problem
from desktop.core.services.errors import FieldProblem

ERROR_STYLE = "color: #c62828;"
WARNING_STYLE = "color: #b26a00;"
INVALID_BORDER = "border: 1px solid #c62828;"
WARNING_BORDER = "border: 1px solid #e0a000;"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form.

    kind: text | multiline | int | float | date | bool (是/否/blank) | check (a tick box)
          | code:<kind> (a code table) | choice (``options``)
    """

    name: str
    kind: str = "text"
    label: str | None = None
    required: bool = False
    options: tuple[tuple[Any, str], ...] = ()
    placeholder: str = ""
    span: int = 1  # grid columns this field takes


class FormWidget(QWidget):
    """A grid of labelled fields, each with its own error line."""

    changed = Signal()

    def __init__(
        self,
        table: str,
        specs: Sequence[FieldSpec],
        columns: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.table = table
        self.specs = {spec.name: spec for spec in specs}
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._loading = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.hide()
        outer.addWidget(self.general_error)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        outer.addLayout(grid)
        row, col = 0, 0
        for spec in specs:
            span = min(spec.span, columns)
            if col + span > columns:
                row, col = row + 2, 0
            label = QLabel(self._label(spec))
            widget = self._make(spec)
            widget.setObjectName(f"field_{spec.name}")
            label.setBuddy(widget)
            error = QLabel()
            error.setObjectName(f"error_{spec.name}")
            error.setWordWrap(True)
            error.setStyleSheet(ERROR_STYLE)
            error.hide()
            grid.addWidget(label, row, col * 2)
            grid.addWidget(widget, row, col * 2 + 1, 1, span * 2 - 1)
            grid.addWidget(error, row + 1, col * 2 + 1, 1, span * 2 - 1)
            self.widgets[spec.name] = widget
            self.errors[spec.name] = error
            col += span
            if col >= columns:
                row, col = row + 2, 0
        for c in range(columns):
            grid.setColumnStretch(c * 2 + 1, 1)

    def _label(self, spec: FieldSpec) -> str:
        text = _(spec.label) if spec.label else field_label(self.table, spec.name)
        return f"{text} *" if spec.required else text

    def label_of(self, name: str) -> str:
        spec = self.specs.get(name)
        if spec is not None and spec.label:
            return _(spec.label)
        return field_label(self.table, name)

    # ------------------------------------------------------------------ widgets
    def _make(self, spec: FieldSpec) -> QWidget:
        if spec.kind == "multiline":
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(60)
            edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            edit.textChanged.connect(self._emit_changed)
            return edit
        if spec.kind == "check":
            box = QCheckBox()
            box.toggled.connect(self._emit_changed)
            return box
        if spec.kind in ("bool", "choice") or spec.kind.startswith("code:"):
            combo = QComboBox()
            for value, text in self._options(spec):
                combo.addItem(text, value)
            combo.currentIndexChanged.connect(self._emit_changed)
            return combo
        line = QLineEdit()
        if spec.kind == "date":
            line.setPlaceholderText(
                _(spec.placeholder) if spec.placeholder else _("例如 2024-03-05")
            )
        elif spec.placeholder:
            line.setPlaceholderText(_(spec.placeholder))
        line.textChanged.connect(self._emit_changed)
        return line

    def _options(self, spec: FieldSpec) -> list[tuple[Any, str]]:
        if spec.kind == "bool":
            return [(None, ""), (True, _("是")), (False, _("否"))]
        if spec.kind.startswith("code:"):
            kind = spec.kind.split(":", 1)[1]
            entries = [(c.code, c.label()) for c in codes.codes(kind)]
            return entries if spec.required else [(None, "")] + entries
        return list(spec.options)

    def set_options(self, name: str, options: Sequence[tuple[Any, str]]) -> None:
        """Replace a choice field's options (e.g. helpers, measures of a category)."""
        combo = self.widgets[name]
        assert isinstance(combo, QComboBox)
        current = combo.currentData()
        self._loading = True
        combo.clear()
        for value, text in options:
            combo.addItem(text, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        self._loading = False

    def _emit_changed(self, *_args: Any) -> None:
        if not self._loading:
            self.changed.emit()

    # ------------------------------------------------------------------ values
    def set_values(self, values: dict[str, Any]) -> None:
        self._loading = True
        try:
            for name, widget in self.widgets.items():
                if name in values:
                    self._set(widget, self.specs[name], values[name])
        finally:
            self._loading = False

    def _set(self, widget: QWidget, spec: FieldSpec, value: Any) -> None:
        if isinstance(widget, QPlainTextEdit):
            widget.setPlainText("" if value is None else str(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index < 0 and value is not None and spec.kind.startswith("code:"):
                widget.addItem(str(value), value)  # an unknown code is shown, never dropped
                index = widget.count() - 1
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QLineEdit):
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float):
                value = f"{value:g}"
            widget.setText("" if value is None else str(value))

    def raw_values(self) -> dict[str, Any]:
        """What is typed, as text/data (for drafts: nothing is parsed, nothing is lost)."""
        raw: dict[str, Any] = {}
        for name, widget in self.widgets.items():
            if isinstance(widget, QPlainTextEdit):
                raw[name] = widget.toPlainText()
            elif isinstance(widget, QCheckBox):
                raw[name] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                raw[name] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                raw[name] = widget.text()
        return raw

    def set_raw_values(self, raw: dict[str, Any]) -> None:
        self.set_values(raw)

    def values(self) -> tuple[dict[str, Any], list[FieldProblem]]:
        """Typed values and the problems found reading them (nothing is guessed)."""
        out: dict[str, Any] = {}
        problems: list[FieldProblem] = []
        for name, raw in self.raw_values().items():
            spec = self.specs[name]
            value, problem = self._parse(spec, raw)
            if problem is not None:
                problems.append(FieldProblem(name, problem, code="form.parse"))
                continue
            if spec.required and value in (None, ""):
                problems.append(FieldProblem(name, _("必须填写。"), code="form.required"))
                continue
            out[name] = value
        return out, problems

    def _parse(self, spec: FieldSpec, raw: Any) -> tuple[Any, str | None]:
        if spec.kind in ("check", "bool", "choice") or spec.kind.startswith("code:"):
            return raw, None
        text = (raw or "").strip() if isinstance(raw, str) else raw
        if text in ("", None):
            return None, None
        if spec.kind == "int":
            try:
                return int(validators.half_width(text).replace(",", "")), None
            except ValueError:
                return None, _("应填写整数，例如 3。")
        if spec.kind == "float":
            try:
                return float(validators.half_width(text).replace(",", "")), None
            except ValueError:
                return None, _("应填写数字，例如 1.5。")
        if spec.kind == "date":
            parsed = validators.parse_date(text, self.label_of(spec.name))
            if isinstance(parsed, Problem):
                return None, parsed.message
            return parsed, None
        return text, None

    # ------------------------------------------------------------------ problems
    def clear_problems(self) -> None:
        self.general_error.hide()
        for name, label in self.errors.items():
            label.hide()
            label.clear()
            self.widgets[name].setStyleSheet("")

    def show_problems(self, problems: Sequence[FieldProblem]) -> None:
        """Show each problem beside its field; ones for fields not on this form go on top."""
        self.clear_problems()
        by_field: dict[str, list[FieldProblem]] = {}
        general: list[str] = []
        for problem in problems:
            if problem.field in self.errors:
                by_field.setdefault(problem.field, []).append(problem)
            else:
                name = field_label(self.table, problem.field)
                general.append(f"{name}：{problem.message}")
        for name, items in by_field.items():
            is_error = any(p.severity == "error" for p in items)
            label = self.errors[name]
            label.setText("\n".join(p.message for p in items))
            label.setStyleSheet(ERROR_STYLE if is_error else WARNING_STYLE)
            label.show()
            self.widgets[name].setStyleSheet(INVALID_BORDER if is_error else WARNING_BORDER)
        if general:
            self.general_error.setText("\n".join(general))
            self.general_error.show()
        first = next(iter(by_field), None)
        if first is not None:
            self.widgets[first].setFocus()

    def shown_problem(self, name: str) -> str:
        label = self.errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""


class FormDialog(QDialog):
    """A small dialog around one FormWidget: 确定 checks the form and shows problems beside
    the fields instead of closing; ``values`` holds what was accepted."""

    form: FormWidget

    def add_buttons(self, layout: QVBoxLayout) -> None:
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.values: dict[str, Any] = {}

    def _check(self) -> None:
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        self.values = values
        self.accept()
