"""A light table cell: wrapped mixed Chinese/Latin text without Paragraph's markup parser.

A village book has tens of thousands of table cells. reportlab's Paragraph parses markup and
runs a general line breaker for each one, which made a 300-household book take most of a
minute; cells need far less. ``TextCell`` breaks Chinese between any two characters, keeps Latin
words, numbers, dates and ID numbers whole where they fit (splitting them only when longer than
the column), never starts a line with closing punctuation, and draws each run in the font that
has its glyphs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from reportlab.lib.colors import black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import Flowable, Table

from desktop.ledger.fonts import LATIN, register_fonts, runs

# Latin words, numbers and dates stay whole; a hyphen ends a piece, so "Poverty-alleviation"
# or a long date may break after it when the column is narrow.
_TOKEN = re.compile(r"[A-Za-z0-9_.,:;%+/'()#@&*=\[\]²√×—]+-?|-| +|\n|.", re.S)
MIN_SIZE = 6.0  # a word too long for its column shrinks the cell's type down to this size
NO_LINE_START = set("，。、；：？！）》」』】〕,.;:?!)%°’”")


@lru_cache(maxsize=20_000)
def unit_width(text: str) -> float:
    """Width of ``text`` at size 1 (runs measured in the font that draws them)."""
    return sum(pdfmetrics.stringWidth(chunk, font, 1.0) for font, chunk in runs(text))


def break_lines(text: str, width: float, size: float) -> list[str]:
    """Greedy line breaking at token boundaries; over-long tokens split by character."""
    return layout(text, width, size)[0]


def layout(text: str, width: float, size: float) -> tuple[list[str], float]:
    """(lines, width at size 1 of the longest word) — the caller may shrink the type when that
    word is wider than the column and lay out again."""
    limit = width / size if size else width
    lines: list[str] = []
    longest = 0.0
    for paragraph in text.split("\n"):
        line = ""
        used = 0.0
        for token in _TOKEN.findall(paragraph):
            if token[0] == " " and not line:
                continue  # ASCII spaces vanish at a line start; an ideographic indent stays
            w = unit_width(token)
            if w > longest and len(token) > 1 and token[0] != " ":
                longest = w
            if used + w <= limit:
                line += token
                used += w
                continue
            if line and token[0] in NO_LINE_START:
                if used + w <= limit * 1.08:
                    line += token  # closing punctuation stays with what it closes
                    used += w
                    continue
                if len(line) > 1 and not line[-1].isspace():
                    # Carry the last character down so the new line does not open with "，".
                    carry = line[-1]
                    lines.append(line[:-1].rstrip())
                    line = carry + token
                    used = unit_width(line)
                    continue
            if line.strip():
                lines.append(line.rstrip())
            line, used = "", 0.0
            if token[0] == " ":
                continue
            if w <= limit:
                line, used = token, w
                continue
            for ch in token:  # a word longer than the whole column
                cw = unit_width(ch)
                if used + cw > limit and line:
                    lines.append(line)
                    line, used = "", 0.0
                line += ch
                used += cw
        lines.append(line.rstrip())
    return lines, longest


class TextCell(Flowable):
    """Wrapped text for table cells and other narrow boxes."""

    def __init__(
        self,
        text: object,
        size: float = 8.5,
        leading: float = 11.0,
        align: str = "left",
        color: object = None,
    ) -> None:
        super().__init__()
        register_fonts()
        self.text = "" if text is None else str(text)
        self.base_size = self.size = size
        self.base_leading = self.leading = leading
        self.align = align
        self.color = color
        self._lines: list[str] = []
        self._wrapped_for = -1.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if availWidth != self._wrapped_for:
            self._wrapped_for = availWidth
            self.size, self.leading = self.base_size, self.base_leading
            self._lines, longest = (
                layout(self.text, availWidth, self.size) if self.text else ([], 0.0)
            )
            if longest * self.size > availWidth and self.size > MIN_SIZE:
                # Shrink the type (not below MIN_SIZE) until the longest word fits the column,
                # so narrow English columns do not break "Female" into "Fem/ale".
                self.size = max(MIN_SIZE, availWidth / longest)
                self.leading = self.base_leading * self.size / self.base_size
                self._lines = layout(self.text, availWidth, self.size)[0]
        self.width = availWidth
        self.height = self.leading * len(self._lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        """Split between lines (a cell taller than a page continues on the next)."""
        self.wrap(availWidth, availHeight)
        fit = int(availHeight // self.leading)
        if fit <= 0 or fit >= len(self._lines):
            return []
        first = TextCell(
            "\n".join(self._lines[:fit]), self.size, self.leading, self.align, self.color
        )
        rest = TextCell(
            "\n".join(self._lines[fit:]), self.size, self.leading, self.align, self.color
        )
        return [first, rest]

    def draw(self) -> None:
        if not self._lines:
            return
        text = self.canv.beginText()
        self.emit(text, 0.0, 0.0)
        self.canv.drawText(text)

    def emit(self, text: PDFTextObject, x0: float, y0: float) -> None:
        """Add this cell's lines to a text object, its bottom-left corner at (x0, y0)."""
        if self.color is not None:
            text.setFillColor(self.color)
        size = self.size
        code = text._code
        baseline = y0 + self.height - self.leading + (self.leading - size) / 2 + size * 0.22
        for line in self._lines:
            x = x0
            if self.align != "left":
                line_width = unit_width(line) * size
                x += (
                    self.width - line_width
                    if self.align == "right"
                    else (self.width - line_width) / 2
                )
            text.setTextOrigin(x, baseline)
            for font, chunk in runs(line):
                text.setFont(font, size)
                # textOut would also measure the run to track the cursor; the PDF moves it
                # itself and every line sets its own origin, so only the operators are needed.
                code.append(text._formatText(chunk))
            baseline -= self.leading
        if self.color is not None:
            text.setFillColor(black)


class CellTable(Table):
    """A Table that writes all its TextCells into one text object instead of drawing each
    cell as a separate flowable (saves a graphics-state push and a text object per cell)."""

    def draw(self) -> None:
        self._doorstep_text = self.canv.beginText()
        super().draw()
        self.canv.drawText(self._doorstep_text)
        del self._doorstep_text

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:  # noqa: N802
        if not isinstance(cellval, TextCell) or not hasattr(self, "_doorstep_text"):
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        colpos, rowpos = pos
        colwidth, rowheight = size
        width = colwidth - cellstyle.leftPadding - cellstyle.rightPadding
        _w, h = cellval.wrap(width, rowheight)
        if not cellval._lines:
            return
        valign = cellstyle.valign
        if valign == "TOP":
            top = rowpos + rowheight - cellstyle.topPadding
        elif valign == "BOTTOM":
            top = rowpos + cellstyle.bottomPadding + h
        else:
            top = rowpos + (rowheight + cellstyle.bottomPadding - cellstyle.topPadding + h) / 2.0
        cellval.emit(self._doorstep_text, colpos + cellstyle.leftPadding, top - h)


class TextBlock(TextCell):
    """A paragraph or heading in the body of a document, with space around it."""

    def __init__(
        self,
        text: object,
        size: float = 10.0,
        leading: float = 14.0,
        align: str = "left",
        color: object = None,
        space_before: float = 0.0,
        space_after: float = 0.0,
    ) -> None:
        super().__init__(text, size, leading, align, color)
        self.spaceBefore = space_before
        self.spaceAfter = space_after

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.__class__ = TextBlock
            part.spaceBefore = part.spaceAfter = 0.0  # type: ignore[attr-defined]
        return parts


__all__ = ["LATIN", "CellTable", "TextBlock", "TextCell", "break_lines", "unit_width"]
