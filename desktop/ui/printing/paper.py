"""Sending a PDF to a printer: each page rendered by PDFium (QtPdf) onto the printer's painter.

Qt has no "print this PDF file" call; the portable way is to rasterise each page at the
printer's resolution and paint it, scaled to the printable area with its aspect kept. The
resolution is capped so a 1200 dpi driver does not make a 140-megapixel image per page.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from desktop.core.i18n import _

MAX_DPI = 300


class PrintingFailed(Exception):
    """The printer could not be started; the sentence says so."""


def page_range(printer: QPrinter, page_count: int) -> range:
    """The pages the print dialog asked for (1-based From/To there), as 0-based indexes."""
    first, last = printer.fromPage(), printer.toPage()
    if first <= 0 or last <= 0:
        return range(page_count)
    return range(max(first, 1) - 1, min(last, page_count))


def print_document(
    document: QPdfDocument,
    printer: QPrinter,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """Paint the chosen pages onto ``printer``; returns how many were sent.

    ``progress(done, total)`` is called after each page; returning False stops printing.
    """
    pages = page_range(printer, document.pageCount())
    if not pages:
        return 0
    dpi = min(printer.resolution(), MAX_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintingFailed(_("无法启动打印机，请检查打印机是否已连接并开启。"))
    sent = 0
    try:
        for n, page in enumerate(pages):
            if n:
                printer.newPage()
            points = document.pagePointSize(page)
            pixels = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
            image = document.render(page, pixels)
            area = QRectF(painter.viewport())
            scale = min(area.width() / image.width(), area.height() / image.height())
            target = QRectF(0, 0, image.width() * scale, image.height() * scale)
            target.moveCenter(area.center())
            painter.drawImage(target, image)
            sent += 1
            if progress is not None and not progress(sent, len(pages)):
                break
    finally:
        painter.end()
    return sent
