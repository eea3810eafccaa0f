"""A ruled grid table of text cells, much lighter than reportlab's general Table.

Ledgers are mostly grids of short text. reportlab's Table handles spans, styles per cell, nested
flowables and more, and re-measures everything each time it is split; for a 300-household book
that machinery cost more than the text itself. ``GridTable`` knows only text cells: it measures
each row once, splits between rows with the header repeated on every page, splits inside a row
only when the row is taller than half a page, and writes all its text in one text object.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.colors import Color
from reportlab.platypus import Flowable

from desktop.ledger.textcell import TextCell

PAD_X = 3.0
PAD_Y = 2.5


class GridTable(Flowable):
    def __init__(
        self,
        header: Sequence[TextCell] | None,
        rows: Sequence[Sequence[TextCell | None]],
        col_widths: Sequence[float],
        *,
        grid_color: Color,
        header_background: Color | None = None,
        column_backgrounds: dict[int, Color] | None = None,
        min_row_height: float = 0.0,
        max_row_height: float = 380.0,
        ruled: bool = True,
    ) -> None:
        super().__init__()
        self.header = list(header) if header else None
        self.rows = [list(r) for r in rows]
        self.col_widths = list(col_widths)
        self.grid_color = grid_color
        self.header_background = header_background
        self.column_backgrounds = column_backgrounds or {}
        self.min_row_height = min_row_height
        self.max_row_height = max_row_height  # taller rows may split inside
        self.ruled = ruled
        self.hAlign = "LEFT"
        self._heights: list[float] | None = None
        self._header_height = 0.0

    # ------------------------------------------------------------------ measuring
    def _row_height(self, row: Sequence[TextCell | None], minimum: float) -> float:
        tallest = 0.0
        for cell, width in zip(row, self.col_widths, strict=False):
            if cell is not None:
                tallest = max(tallest, cell.wrap(width - 2 * PAD_X, 1e9)[1])
        return max(tallest + 2 * PAD_Y, minimum)

    def _measure(self) -> list[float]:
        if self._heights is None:
            self._header_height = self._row_height(self.header, 0.0) if self.header else 0.0
            self._heights = [self._row_height(r, self.min_row_height) for r in self.rows]
        return self._heights

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        heights = self._measure()
        self.width = sum(self.col_widths)
        self.height = self._header_height + sum(heights)
        return self.width, self.height

    # ------------------------------------------------------------------ splitting
    def _part(self, rows: list[list[TextCell | None]], minimum: float | None = None) -> GridTable:
        return GridTable(
            self.header,
            rows,
            self.col_widths,
            grid_color=self.grid_color,
            header_background=self.header_background,
            column_backgrounds=self.column_backgrounds,
            min_row_height=self.min_row_height if minimum is None else minimum,
            max_row_height=self.max_row_height,
            ruled=self.ruled,
        )

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        heights = self._measure()
        room = availHeight - self._header_height
        used, fit = 0.0, 0
        for height in heights:
            if used + height > room:
                break
            used += height
            fit += 1
        if fit == len(self.rows):
            return [self]
        if fit > 0:
            return [self._part(self.rows[:fit]), self._part(self.rows[fit:])]
        first = heights[0] if heights else 0.0
        if first <= self.max_row_height or room < 4 * PAD_Y + 12:
            return []  # move the whole row to the next page
        head, tail = [], []
        for cell, width in zip(self.rows[0], self.col_widths, strict=False):
            parts = cell.split(width - 2 * PAD_X, room - 2 * PAD_Y) if cell is not None else []
            if len(parts) == 2:
                head.append(parts[0])
                tail.append(parts[1])
            elif cell is not None and cell.wrap(width - 2 * PAD_X, 1e9)[1] <= room - 2 * PAD_Y:
                head.append(cell)
                tail.append(None)
            else:
                head.append(None)
                tail.append(cell)
        if all(c is None for c in head):
            return []
        return [self._part([head], 0.0), self._part([tail, *self.rows[1:]])]

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        heights = self._measure()
        canvas = self.canv
        lines: list[tuple[float, float, float, float]] = []
        xs = [0.0]
        for width in self.col_widths:
            xs.append(xs[-1] + width)
        total = self.height
        rows: list[tuple[list[TextCell | None], float, bool]] = []
        if self.header:
            rows.append((list[TextCell | None](self.header), self._header_height, True))
        rows += [(row, h, False) for row, h in zip(self.rows, heights, strict=True)]
        # Backgrounds first, then text, then rules over both.
        top = total
        for _row, height, is_header in rows:
            if is_header and self.header_background is not None:
                canvas.setFillColor(self.header_background)
                canvas.rect(0, top - height, xs[-1], height, stroke=0, fill=1)
            elif not is_header:
                for column, color in self.column_backgrounds.items():
                    canvas.setFillColor(color)
                    canvas.rect(
                        xs[column],
                        top - height,
                        xs[column + 1] - xs[column],
                        height,
                        stroke=0,
                        fill=1,
                    )
            top -= height
        canvas.setFillColorRGB(0, 0, 0)
        text = canvas.beginText()
        top = total
        for row, height, _is_header in rows:
            for index, cell in enumerate(row):
                if cell is None or not cell._lines:
                    continue
                y = top - (height - cell.height) / 2 - cell.height  # vertically centred
                cell.emit(text, xs[index] + PAD_X, y)
            lines.append((0, top, xs[-1], top))
            top -= height
        canvas.drawText(text)
        if self.ruled:
            lines.append((0, 0, xs[-1], 0))
            lines += [(x, 0, x, total) for x in xs]
            canvas.setStrokeColor(self.grid_color)
            canvas.setLineWidth(0.4)
            canvas.lines(lines)
