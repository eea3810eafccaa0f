"""The two embedded fonts every printed page uses, and how mixed Chinese/Latin text is split
between them.

DroidSansFallbackFull has the Chinese glyphs but no Latin letters or digits, so a household
number, an amount or an English label printed in it would come out as empty boxes. DejaVu Sans
supplies those. Both are TrueType files registered as ``TTFont`` so reportlab embeds (subsets)
them: a printed ledger must look the same on the township's computer as on the cadre's laptop,
and none of the PDF "standard 14" fonts (which have no Chinese) may appear anywhere.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from desktop.core.paths import cjk_font_path, resource

CJK = "DoorstepCJK"
LATIN = "DoorstepLatin"

_lock = threading.Lock()
_registered = False
_latin_chars: frozenset[int] = frozenset()
_cjk_chars: frozenset[int] = frozenset()


def latin_font_path() -> str:
    return str(resource("fonts", "DejaVuSans.ttf"))


def register_fonts() -> None:
    """Register both fonts once per process (parsing the 4 MB CJK file takes ~0.1 s)."""
    global _registered, _latin_chars, _cjk_chars
    if _registered:
        return
    with _lock:
        if _registered:
            return
        cjk = TTFont(CJK, str(cjk_font_path()))
        latin = TTFont(LATIN, latin_font_path())
        pdfmetrics.registerFont(cjk)
        pdfmetrics.registerFont(latin)
        # No bold or italic faces ship: map them to the regular face so <b> never falls back
        # to a standard font.
        for name in (CJK, LATIN):
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
        _latin_chars = frozenset(latin.face.charToGlyph)
        _cjk_chars = frozenset(cjk.face.charToGlyph)
        _registered = True


@lru_cache(maxsize=65536)
def font_for_char(ch: str) -> str:
    """Latin-script characters (and what DejaVu draws) go to DejaVu, everything else to Droid."""
    code = ord(ch)
    if code < 0x2E80 and code in _latin_chars:
        return LATIN
    if code in _cjk_chars:
        return CJK
    return LATIN if code in _latin_chars else CJK


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font name, text) runs."""
    register_fonts()
    out: list[tuple[str, str]] = []
    if not text:
        return out
    current = font_for_char(text[0])
    start = 0
    for index in range(1, len(text)):
        font = font_for_char(text[index])
        if font != current:
            out.append((current, text[start:index]))
            current, start = font, index
    out.append((current, text[start:]))
    return out


def single_font(text: str) -> str | None:
    """The one font that can draw all of ``text``, or None when it needs both."""
    found = {font for font, _chunk in runs(text)}
    if len(found) > 1:
        return None
    return found.pop() if found else CJK


def text_width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs(text))


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, size: float, align: str = "left"
) -> float:
    """Draw mixed text on a canvas; returns its width. ``align`` is left, center or right."""
    width = text_width(text, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    cursor = x
    for font, chunk in runs(text):
        canvas.setFont(font, size)
        canvas.drawString(cursor, y, chunk)
        cursor += pdfmetrics.stringWidth(chunk, font, size)
    return width
