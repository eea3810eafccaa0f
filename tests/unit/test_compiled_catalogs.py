"""Packagers and stock gettext read the compiled .mo catalogues: they must say UTF-8, or every
Chinese msgid fails to decode and English users see Chinese."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest

from desktop.core import i18n


def test_stock_gettext_reads_the_compiled_english_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = tmp_path / "en" / "LC_MESSAGES" / "doorstep.po"
    po.parent.mkdir(parents=True)
    shutil.copy(i18n.po_path("en"), po)
    monkeypatch.setattr(
        i18n, "po_path", lambda language: tmp_path / language / "LC_MESSAGES" / "doorstep.po"
    )
    [mo] = i18n.compile_catalogs()
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.info()["content-type"] == "text/plain; charset=UTF-8"
    entries = i18n.parse_po(po.read_text(encoding="utf-8"))
    chinese = [k for k in entries if k and not k.isascii()][:50]
    assert chinese
    for message in chinese:
        assert catalogue.gettext(message) == entries[message]
