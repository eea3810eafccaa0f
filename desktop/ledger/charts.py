"""Simple bar charts for reports, drawn with reportlab.graphics in the embedded fonts.

reportlab's chart classes label axes with Helvetica unless every label object is configured,
and one label can only use one font while our labels mix Chinese and digits. A horizontal bar
chart is a few rectangles and strings, so we draw it ourselves and split every label into runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics

from desktop.ledger.fonts import CJK, register_fonts, runs, text_width

BAR_COLORS = [
    colors.HexColor("#3b6ea5"),
    colors.HexColor("#e07b39"),
    colors.HexColor("#5a9e4b"),
    colors.HexColor("#c0504d"),
    colors.HexColor("#8064a2"),
    colors.HexColor("#4bacc6"),
]


def mixed_string(x: float, y: float, text: str, size: float, anchor: str = "start") -> Group:
    """A label whose Chinese and Latin runs are each set in the font that has them."""
    register_fonts()
    width = text_width(text, size)
    if anchor == "end":
        x -= width
    elif anchor == "middle":
        x -= width / 2
    group = Group()
    for font, chunk in runs(text):
        group.add(String(x, y, chunk, fontName=font, fontSize=size, fillColor=colors.black))
        x += pdfmetrics.stringWidth(chunk, font, size)
    return group


def bar_chart(
    items: Sequence[tuple[str, float]],
    width: float,
    value_format: str = "{:g}",
    bar_height: float = 11.0,
    gap: float = 5.0,
    size: float = 8.5,
) -> Drawing:
    """Horizontal bars, one per (label, value), labels on the left, values at the bar ends."""
    label_width = max((text_width(label, size) for label, _v in items), default=0) + 6
    value_width = max((text_width(value_format.format(v), size) for _l, v in items), default=0) + 6
    height = len(items) * (bar_height + gap) + gap
    drawing = Drawing(width, height)
    # The renderer starts every drawing in its default font (Helvetica) unless told otherwise.
    drawing.initialFontName = CJK
    drawing.initialFontSize = size
    top = max((v for _l, v in items), default=0) or 1
    room = max(width - label_width - value_width, 10)
    x0 = label_width
    drawing.add(Line(x0, 0, x0, height, strokeColor=colors.grey, strokeWidth=0.5))
    for index, (label, value) in enumerate(items):
        y = height - (index + 1) * (bar_height + gap)
        bar = room * value / top
        drawing.add(
            Rect(
                x0,
                y,
                bar,
                bar_height,
                fillColor=BAR_COLORS[index % len(BAR_COLORS)],
                strokeColor=None,
            )
        )
        baseline = y + (bar_height - size) / 2 + size * 0.15
        drawing.add(mixed_string(x0 - 4, baseline, label, size, anchor="end"))
        drawing.add(mixed_string(x0 + bar + 3, baseline, value_format.format(value), size))
    return drawing
