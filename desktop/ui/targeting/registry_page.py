"""大数据比对: import a county list (vehicles, commercial housing, businesses, salaried staff,
village cadres; xlsx or csv keyed by ID number) and see which members appear on any list.

Lists are a county matter, but a township or village laptop may be handed one, so the app
offers the import. ``import_registry`` runs on the worker (it writes only the local list and
finding tables); its report — lines read, added, already known, skipped with reasons, matches —
is shown as is. A match is a flag for review, never a verdict, and the page says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.targeting import RegistryImport, import_registry, registry_matches
from desktop.core.targeting.eligibility import source_label
from desktop.core.targeting.registry import SOURCES, RegistryMatch
from desktop.ui.context import AppContext
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.targeting.village_pages import list_table
from desktop.ui.tasks import describe_error


def report_text(report: RegistryImport) -> str:
    lines = [
        _(
            "{file}（{source}）：读取 {read} 行，新增 {added} 行，已导入过 {already} 行，"
            "跳过 {skipped} 行；现有 {matches} 名家庭成员出现在名单中。"
        ).format(
            file=report.file,
            source=source_label(report.source),
            read=report.read,
            added=report.added,
            already=report.already,
            skipped=len(report.skipped),
            matches=report.matches,
        )
    ]
    lines += report.skipped[:20]
    if len(report.skipped) > 20:
        lines.append(_("……另有 {n} 行被跳过。").format(n=len(report.skipped) - 20))
    return "\n".join(lines)


class RegistryPage(QWidget):
    open_household = Signal(str, str)

    def __init__(self, ctx: AppContext, village: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.village = ctx, village
        self.setObjectName("registry_page")
        layout = QVBoxLayout(self)
        note = QLabel(
            _(
                "县里下发的比对名单（xlsx 或 csv，须有身份证号一列）。导入后，名单上的家庭成员"
                "会列在下面，并在数据检查中提示核实；比对结果仅供参考。同一份名单重复导入不会重复记录。"
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        layout.addWidget(note)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("名单类别：")))
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("registry_source")
        for source in SOURCES:
            self.source_combo.addItem(source_label(source), source)
        row.addWidget(self.source_combo)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("registry_path")
        self.path_edit.setPlaceholderText(_("名单文件（.xlsx 或 .csv）"))
        row.addWidget(self.path_edit, 1)
        choose = QPushButton(_("选择文件…"))
        choose.clicked.connect(self.choose_file)
        row.addWidget(choose)
        self.import_button = QPushButton(_("导入并比对"))
        self.import_button.setObjectName("import_registry")
        self.import_button.clicked.connect(self.start_import)
        row.addWidget(self.import_button)
        layout.addLayout(row)
        self.report = QLabel()
        self.report.setObjectName("registry_report")
        self.report.setWordWrap(True)
        self.report.hide()
        layout.addWidget(self.report)
        self.summary = QLabel()
        self.summary.setObjectName("registry_summary")
        layout.addWidget(self.summary)
        self.model = RowsTableModel(
            [
                RowColumn(_("户编号"), lambda r: r["match"].household_number),
                RowColumn(_("姓名"), lambda r: r["match"].member_name),
                RowColumn(_("名单"), lambda r: source_label(r["match"].source)),
                RowColumn(
                    _("说明"), lambda r: r["match"].message, None, lambda r: r["match"].message
                ),
            ],
            self,
        )
        self.table = list_table(self.model, "registry_matches")
        self.table.doubleClicked.connect(self._open)
        layout.addWidget(self.table, 1)

    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("选择比对名单"), "", _("名单") + " (*.xlsx *.xlsm *.csv)"
        )
        if name:
            self.path_edit.setText(name)

    def load(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(lambda: registry_matches(db), self._on_matches, key="registry")

    def _on_matches(self, matches: list[RegistryMatch]) -> None:
        self.model.set_rows([{"match": m} for m in matches])
        self.summary.setText(
            _("全县共 {n} 名家庭成员出现在已导入的名单中。").format(n=len(matches))
            if matches
            else _("还没有成员出现在已导入的名单中。")
        )

    def start_import(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self._show_report(_("请先选择名单文件。"), error=True)
            return
        db, source, path = self.ctx.db, self.source_combo.currentData(), Path(text)
        self.import_button.setEnabled(False)

        def done(report: RegistryImport) -> None:
            self.import_button.setEnabled(True)
            self._show_report(report_text(report), error=False)
            self.ctx.data_changed.emit([])  # findings changed: lists and open views refresh
            self.load()

        def failed(exc: BaseException) -> None:
            self.import_button.setEnabled(True)
            self._show_report(describe_error(exc), error=True)

        self.ctx.runner.submit(
            lambda: import_registry(db, source, path),
            done,
            failed,
            label=_("正在导入比对名单…"),
        )

    def _show_report(self, text: str, error: bool) -> None:
        self.report.setText(text)
        self.report.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.report.show()

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            match: RegistryMatch = row["match"]
            self.open_household.emit(match.household_id, match.household_number)
