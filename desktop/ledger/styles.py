"""Text looks and table styles shared by every document, all set to the embedded fonts.

reportlab's defaults name Helvetica in many places (paragraph, bullet and table fonts); text here
is drawn by ``TextCell``/``TextBlock`` in the embedded fonts and every table style sets its font
explicitly, so no standard font slips into a PDF.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from desktop.core.i18n import _, is_english
from desktop.ledger.fonts import CJK
from desktop.ledger.gridtable import GridTable
from desktop.ledger.textcell import TextBlock, TextCell

PAGE = A4
MARGIN_X = 15 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN_X

GRID = colors.HexColor("#7a7a7a")
HEAD_BG = colors.HexColor("#e6e9ef")
LABEL_BG = colors.HexColor("#f3f4f7")
MUTED = colors.HexColor("#555555")


BLOCK_LOOKS: dict[str, dict[str, object]] = {
    "body": {"size": 10, "leading": 14},
    "title": {"size": 20, "leading": 26, "align": "center", "space_after": 6},
    "subtitle": {"size": 11, "leading": 15, "align": "center", "color": MUTED},
    "h1": {"size": 14, "leading": 19, "space_before": 10, "space_after": 5},
    "h2": {
        "size": 11.5,
        "leading": 15,
        "space_before": 6,
        "space_after": 3,
    },
    "small": {"size": 8.5, "leading": 11.5, "color": MUTED},
    "notice_title": {"size": 18, "leading": 26, "align": "center", "space_after": 8},
    "notice_body": {"size": 11.5, "leading": 19},
    "sign": {"size": 11, "leading": 22},
}


def para(text: object, name: str = "body") -> TextBlock:
    """A block of plain text in one of the named looks."""
    return TextBlock(text, **BLOCK_LOOKS[name])  # type: ignore[arg-type]


CELL_LOOKS: dict[str, tuple[float, float, str, object]] = {
    "cell": (8.5, 11.0, "left", None),
    "cell_center": (8.5, 11.0, "center", None),
    "cell_right": (8.5, 11.0, "right", None),
    "head": (8.5, 11.0, "center", None),
    "label": (8.5, 11.0, "left", MUTED),
    "sign": (11.0, 22.0, "left", None),
    "caption": (8.0, 10.5, "center", None),
}


def cell(text: object, name: str = "cell") -> TextCell:
    """A table cell (see textcell: much cheaper than a Paragraph per cell)."""
    size, leading, align, color = CELL_LOOKS[name]
    return TextCell(text, size, leading, align, color)


def grid_style(header_rows: int = 1, extra: Sequence[tuple] = (), ruled: bool = True) -> TableStyle:
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), CJK),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if ruled:
        commands.append(("GRID", (0, 0), (-1, -1), 0.4, GRID))
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG))
    commands.extend(extra)
    return TableStyle(commands)


def grid_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    aligns: Sequence[str] | None = None,
    min_row_height: float = 0,
) -> GridTable:
    """A ruled table with a header row repeated on every page it spans.

    Cells are text, wrapped to the column. ``widths`` are fractions of the frame width;
    ``aligns`` one letter per column (l, c, r). A row taller than half a page splits inside
    the row, so long notes never make the document fail to build.
    """
    looks = [
        {"l": "cell", "c": "cell_center", "r": "cell_right"}[a]
        for a in (aligns or "l" * len(header))
    ]
    body = [
        [cell(value, looks[i]) if value not in (None, "") else None for i, value in enumerate(row)]
        for row in rows
    ]
    return GridTable(
        [cell(h, "head") for h in header],
        body,
        [w * FRAME_WIDTH for w in widths],
        grid_color=GRID,
        header_background=HEAD_BG,
        min_row_height=min_row_height,
    )


def facts_table(pairs: Sequence[tuple[str, object]], columns: int = 2) -> GridTable:
    """Label/value pairs laid out ``columns`` pairs to a row (the 家庭情况 block)."""
    label_w = 0.17 if columns == 2 else 0.12
    value_w = 1 / columns - label_w
    widths = [label_w, value_w] * columns
    body: list[list[TextCell | None]] = []
    for start in range(0, len(pairs), columns):
        row: list[TextCell | None] = []
        for label, value in pairs[start : start + columns]:
            row += [cell(label, "label"), cell(value) if value not in (None, "") else None]
        row += [None] * (2 * columns - len(row))
        body.append(row)
    return GridTable(
        None,
        body,
        [w * FRAME_WIDTH for w in widths],
        grid_color=GRID,
        column_backgrounds={c: LABEL_BG for c in range(0, 2 * columns, 2)},
    )


def yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("是") if value else _("否")


def money(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}"


def day(value: object) -> str:
    if value is None:
        return ""
    iso = getattr(value, "isoformat", None)
    return iso()[:10] if iso else str(value)


__all__ = [
    "FRAME_WIDTH",
    "MARGIN_BOTTOM",
    "MARGIN_TOP",
    "MARGIN_X",
    "PAGE",
    "cell",
    "day",
    "facts_table",
    "grid_style",
    "grid_table",
    "is_english",
    "money",
    "para",
    "yes_no",
]
