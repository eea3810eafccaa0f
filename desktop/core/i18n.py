"""Translations for every string a user reads.

Message ids are written in Simplified Chinese, the default language, so a missing English entry
degrades to Chinese rather than to an untranslated developer string. English lives in
``resources/translations/en/LC_MESSAGES/doorstep.po``; we parse the .po directly so a source
checkout needs no compile step (``python -m desktop.core.i18n --compile`` writes .mo files for
tools that want them).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import threading
from pathlib import Path

from desktop.core.paths import resource

DOMAIN = "doorstep"
DEFAULT_LANGUAGE = "zh_CN"
SUPPORTED_LANGUAGES = ("zh_CN", "en")

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
_current = os.environ.get("DOORSTEP_LANG", DEFAULT_LANGUAGE)


def po_path(language: str) -> Path:
    return resource("translations", language, "LC_MESSAGES", f"{DOMAIN}.po")


def parse_po(text: str) -> dict[str, str]:
    """Read msgid/msgstr pairs from .po text; fuzzy and empty entries are skipped."""
    entries: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        current: list[str] | None = None
        fuzzy = False
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith(("msgid ", "msgstr ")):
                keyword, _, literal = line.partition(" ")
                current = fields.setdefault(keyword, [])
                current.append(ast.literal_eval(literal))
            elif line.startswith('"') and current is not None:
                current.append(ast.literal_eval(line))
        key, value = "".join(fields.get("msgid", [])), "".join(fields.get("msgstr", []))
        if key and value and not fuzzy:
            entries[key] = value
    return entries


def _catalog(language: str) -> dict[str, str]:
    with _lock:
        if language not in _catalogs:
            path = po_path(language)
            _catalogs[language] = (
                parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
            )
        return _catalogs[language]


def set_language(language: str) -> None:
    """Switch the language for strings translated from now on."""
    global _current
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {SUPPORTED_LANGUAGES}")
    _current = language


def current_language() -> str:
    return _current


def is_english() -> bool:
    return _current == "en"


def gettext_(message: str) -> str:
    """Translate a Chinese message id into the current language."""
    if _current == DEFAULT_LANGUAGE:
        return message
    return _catalog(_current).get(message, message)


_ = gettext_


def ngettext_(singular: str, plural: str, n: int) -> str:
    return gettext_(singular if n == 1 else plural)


def compile_catalogs() -> list[Path]:
    """Write .mo files beside each .po (for packagers and stock gettext users)."""
    written = []
    for language in SUPPORTED_LANGUAGES:
        po = po_path(language)
        if not po.exists():
            continue
        entries = parse_po(po.read_text(encoding="utf-8"))
        mo = po.with_suffix(".mo")
        _write_mo(mo, entries)
        with mo.open("rb") as handle:
            gettext.GNUTranslations(handle)  # proves the file is valid
        written.append(mo)
    return written


def _write_mo(path: Path, entries: dict[str, str]) -> None:
    import struct

    # The header entry names the charset; without it stock gettext reads the file as ASCII.
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **entries}
    keys = sorted(entries)
    ids = b""
    strs = b""
    offsets = []
    for key in keys:
        k, v = key.encode(), entries[key].encode()
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    n = len(keys)
    keystart = 7 * 4 + 16 * n
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, 0)
    body = struct.pack(f"{len(koffsets)}i", *koffsets) + struct.pack(f"{len(voffsets)}i", *voffsets)
    path.write_bytes(header + body + ids + strs)


if __name__ == "__main__":
    import sys

    if "--compile" in sys.argv:
        for written_path in compile_catalogs():
            print(written_path)
