"""Page furniture: the running header, "第 X 页 共 Y 页", print date and data version.

The totals are only known once the document is laid out, so the canvas keeps each finished page
and paints header and footer when the document is saved (the reportlab "numbered canvas" recipe).
One PDF may hold many households: each household is a *section*, numbered on its own, because
each household's pages are handed to that household; the contents page of a village book is
painted at the same moment, when every section's first page is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from desktop.core.i18n import _
from desktop.ledger.fonts import CJK, draw_text, register_fonts
from desktop.ledger.styles import GRID, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, MUTED, PAGE


@dataclass(frozen=True)
class Section:
    """A run of pages numbered together, e.g. one household's ledger."""

    key: str
    header: str  # left of the running header: household number and village
    title: str  # right of the running header: what the document is
    version: str = ""  # short data version printed in the footer
    outline: str = ""  # PDF bookmark text; empty: no bookmark


@dataclass(frozen=True)
class PageInfo:
    """What the painter of a finished page knows about it."""

    page: int  # 1-based page in the file
    pages: int
    section: Section | None
    section_page: int
    section_pages: int


ContentsPainter = Callable[[Canvas, PageInfo, dict[str, int]], None]


class SectionStart(Flowable):
    """Marks where a section begins; takes no space."""

    width = height = 0.0

    def __init__(self, section: Section) -> None:
        super().__init__()
        self.section = section

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0.0, 0.0

    def draw(self) -> None:
        canvas = self.canv
        canvas._doorstep_section = self.section  # type: ignore[attr-defined]
        if self.section.outline:
            canvas.bookmarkPage(self.section.key)
            canvas.addOutlineEntry(self.section.outline, self.section.key, level=0)


def _numbered_canvas_class(
    printed: date, contents: ContentsPainter | None, show_file_pages: bool
) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initialFontName", CJK)
            kwargs.setdefault("initialFontSize", 10)
            super().__init__(*args, **kwargs)
            self._doorstep_section: Section | None = None
            self._doorstep_pages: list[tuple[dict[str, Any], Section | None]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._doorstep_pages.append((dict(self.__dict__), self._doorstep_section))
            self._startPage()

        def save(self) -> None:
            pages = self._doorstep_pages
            counts: dict[str, int] = {}
            starts: dict[str, int] = {}
            for number, (_state, section) in enumerate(pages, start=1):
                key = section.key if section else ""
                counts[key] = counts.get(key, 0) + 1
                starts.setdefault(key, number)
            total = len(pages)
            for number, (state, section) in enumerate(pages, start=1):
                self.__dict__.update(state)
                key = section.key if section else ""
                info = PageInfo(
                    page=number,
                    pages=total,
                    section=section,
                    section_page=number - starts[key] + 1,
                    section_pages=counts[key],
                )
                if section is not None and section.key == "contents" and contents is not None:
                    contents(self, info, starts)
                _paint_furniture(self, info, printed, show_file_pages)
                Canvas.showPage(self)
            self._doorstep_pages = []
            Canvas.save(self)

    return NumberedCanvas


def _paint_furniture(canvas: Canvas, info: PageInfo, printed: date, show_file_pages: bool) -> None:
    width, height = PAGE
    section = info.section
    canvas.saveState()
    canvas.setFillColor(MUTED)
    top = height - MARGIN_TOP + 7 * mm
    if section is not None:
        draw_text(canvas, MARGIN_X, top, section.header, 8.5)
        draw_text(canvas, width - MARGIN_X, top, section.title, 8.5, align="right")
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, top - 2.5 * mm, width - MARGIN_X, top - 2.5 * mm)
    bottom = MARGIN_BOTTOM - 9 * mm
    canvas.line(MARGIN_X, bottom + 4 * mm, width - MARGIN_X, bottom + 4 * mm)
    draw_text(
        canvas,
        MARGIN_X,
        bottom,
        _("打印日期：{date}").format(date=printed.isoformat()),
        8,
    )
    page_text = _("第 {page} 页 共 {pages} 页").format(
        page=info.section_page, pages=info.section_pages
    )
    if show_file_pages:
        page_text += "  " + _("（全册第 {page} 页）").format(page=info.page)
    draw_text(canvas, width / 2, bottom, page_text, 8, align="center")
    if section is not None and section.version:
        draw_text(
            canvas,
            width - MARGIN_X,
            bottom,
            _("数据版本：{version}").format(version=section.version),
            8,
            align="right",
        )
    canvas.restoreState()


def build_pdf(
    target: str | Path | IO[bytes],
    story: Sequence[Flowable],
    *,
    title: str,
    printed: date | None = None,
    contents: ContentsPainter | None = None,
    show_file_pages: bool = False,
    subject: str = "",
) -> None:
    """Lay out ``story`` on A4 pages with header and footer and write the PDF to ``target``."""
    register_fonts()
    doc = BaseDocTemplate(
        target if not isinstance(target, Path) else str(target),
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author="Doorstep 入户通",
        creator="Doorstep 入户通",
        subject=subject,
        initialFontName=CJK,
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(
        list(story),
        canvasmaker=_numbered_canvas_class(printed or date.today(), contents, show_file_pages),
    )
