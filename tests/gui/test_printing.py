"""Print preview and printing in the app: real PDFs from desktop.ledger, real QtPdf, a real
printer (Qt's PDF printer), poppler's ``pdfinfo`` to count pages independently."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtPrintSupport import QPrinter

from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.printing import hooks
from desktop.ui.printing.jobs import Made, household_ledger_job, village_book_job
from desktop.ui.printing.preview import PrintPreview, open_preview
from desktop.ui.printing.village_dialog import VillagePrintDialog
from tests.gui.conftest import Recorder, settle

VILLAGE = "520102001001"  # 新寨村: 10 of the 30 sample households


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def ready_preview(qtbot: Any, dialog: PrintPreview) -> int:
    with qtbot.waitSignal(dialog.ready, timeout=15000) as blocker:
        pass
    return int(blocker.args[0])


def test_household_ledger_preview_shows_every_page_and_prints_them(
    window: MainWindow, ids: dict[str, str], qtbot: Any, tmp_path: Path
) -> None:
    view = window.open_household(ids["household"])
    settle(window.ctx)
    button = view.findChild(object, "print_ledger_button")
    assert button is not None
    with qtbot.waitSignal(window.ctx.runner.busy_changed, timeout=5000):
        button.click()
    dialog = window.findChild(PrintPreview, "print_preview")
    assert dialog is not None
    pages = dialog.page_count or ready_preview(qtbot, dialog)
    assert dialog.pdf_path is not None
    assert pages == pdf_pages(dialog.pdf_path) >= 2  # independent count from poppler
    assert dialog.pages_label.text() == f"共 {pages} 页"
    assert "台账" in dialog.windowTitle()
    assert dialog.print_action.isEnabled()

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(72)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    assert dialog.print_to(printer) == pages
    assert pdf_pages(printed) == pages
    printer.setFromTo(2, 2)  # the print dialog's page range
    printer.setOutputFileName(str(tmp_path / "one.pdf"))
    assert dialog.print_to(printer) == 1 and pdf_pages(tmp_path / "one.pdf") == 1

    target = tmp_path / "保存" / "台账.pdf"
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_to(target)
    assert target.read_bytes() == dialog.pdf_path.read_bytes()

    opened: list[str] = []
    dialog.open_url = lambda url: opened.append(url.toLocalFile()) or True
    copy = dialog.open_external()
    assert copy is not None and opened == [str(copy)] and copy.read_bytes() == target.read_bytes()

    folder = dialog.pdf_path.parent
    dialog.close()
    settle(window.ctx)
    assert not folder.exists()  # the preview's temporary PDF goes with the dialog


def test_print_menu_needs_a_village_or_an_open_household(
    window: MainWindow, recorder: Recorder
) -> None:
    window.tree.setCurrentIndex(window.tree_model.index(0, 0))  # 全部
    settle(window.ctx)
    assert hooks.print_village(window) is None
    assert hooks.print_current_household(window) is None
    assert "选择一个村" in recorder.errors[0] and "先打开一户" in recorder.errors[1]


def test_village_book_can_be_cancelled_midway(
    ctx: AppContext, qtbot: Any, recorder: Recorder
) -> None:
    job = village_book_job(VILLAGE, "新寨村")
    started, release = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}
    make = job.make

    def held_make(db: Any, out: Path, progress: Any, cancel: Any) -> Made:
        def first_progress(done: int, total: int, label: str) -> None:
            if not started.is_set():
                started.set()
                release.wait(10)  # the cadre presses 取消 while the book is being laid out
            progress(done, total, label)

        seen["out"] = out
        seen["result"] = made = make(db, out, first_progress, cancel)
        return made

    job.make = held_make
    dialog = open_preview(ctx, job)
    assert dialog.cancel_button.isVisible()
    qtbot.waitUntil(started.is_set, timeout=15000)
    with qtbot.waitSignal(dialog.cancelled, timeout=2000):
        dialog.cancel_button.click()
    release.set()
    settle(ctx)
    assert seen["result"].cancelled and seen["result"].path is None
    assert not seen["out"].exists()  # half a book is no use: nothing is left behind
    assert dialog.pdf_path is None and dialog.page_count == 0
    assert dialog.status_label.text() == "已取消，没有生成文件。"
    assert not dialog.save_action.isEnabled() and not dialog.cancel_button.isVisible()
    assert recorder.errors == []
    dialog.close()


def test_village_book_notice_and_summary_from_the_village_dialog(
    window: MainWindow, qtbot: Any
) -> None:
    everything = window.tree_model.index(0, 0)
    township = window.tree_model.index(0, 0, everything)
    village = window.tree_model.index(0, 0, township)
    group = window.tree_model.index(0, 0, village)
    window.tree.setCurrentIndex(group)  # a group counts as its village
    settle(window.ctx)
    dialog = hooks.print_village(window)
    assert isinstance(dialog, VillagePrintDialog)
    qtbot.addWidget(dialog)
    assert (dialog.village_code, dialog.village_name) == (VILLAGE, "新寨村")

    made: list[PrintPreview] = []
    dialog.previewed.connect(made.append)
    dialog.preview()  # the whole book, with a contents page
    book = made[-1]
    pages = book.page_count or ready_preview(qtbot, book)
    assert book.pdf_path is not None and pages == pdf_pages(book.pdf_path) > 10
    assert "共 10 户" in book.status_label.text()

    dialog.choose("funds")
    assert dialog.notice_box.isEnabled() and dialog.days_spin.value() == 10
    dialog.end_edit.setDate(dialog.start_edit.date().addDays(-1))
    assert dialog.preview() is None
    assert "早于开始日期" in dialog.error_label.text()
    dialog.end_edit.setDate(dialog.start_edit.date().addDays(400))
    funds = dialog.preview()
    assert funds is not None
    assert (funds.page_count or ready_preview(qtbot, funds)) >= 1
    assert "资金和项目公告公示" in funds.windowTitle()

    dialog.choose("summary")
    assert not dialog.notice_box.isEnabled()
    summary = dialog.preview()
    assert summary is not None
    assert (summary.page_count or ready_preview(qtbot, summary)) >= 1
    for preview in (book, funds, summary):
        preview.close()
    settle(window.ctx)


def test_an_unknown_village_is_a_sentence_not_a_crash(ctx: AppContext, qtbot: Any) -> None:
    from desktop.ui.printing.jobs import summary_job

    dialog = open_preview(ctx, summary_job("999999999999", "无此村"))
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        pass
    assert "999999999999" in blocker.args[0] and "程序出错" not in blocker.args[0]
    assert not dialog.save_action.isEnabled() and not dialog.print_action.isEnabled()
    dialog.close()


@pytest.mark.parametrize("lang", ["en"])
def test_english_preview_when_the_app_is_english(
    ctx: AppContext, ids: dict[str, str], qtbot: Any, lang: str
) -> None:
    from desktop.core import i18n

    before = i18n.current_language()
    i18n.set_language(lang)
    try:
        dialog = open_preview(ctx, household_ledger_job(ids["household"], "张伟"))
        assert dialog.page_count or ready_preview(qtbot, dialog)
        assert dialog.print_action.text() == "Print…"
        assert dialog.pdf_path is not None
        text = subprocess.run(
            ["pdftotext", str(dialog.pdf_path), "-"], capture_output=True, text=True
        ).stdout
        assert "Page 1 of" in text or "Household" in text
        dialog.close()
    finally:
        i18n.set_language(before)
