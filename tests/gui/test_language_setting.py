"""The interface language chosen in the app is kept for the next start (besides --lang)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core import i18n
from desktop.core.preferences import load_preferences, saved_language


def test_language_choice_is_saved_and_used_at_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path))
    from desktop.core.preferences import save_preference

    assert saved_language() is None
    save_preference("language", "en")
    assert load_preferences() == {"language": "en"}
    assert saved_language() == "en"
    # The command line reads it when --lang is not given.
    from desktop import cli

    try:
        assert cli.main(["villages", "--db", str(tmp_path / "missing.db")]) == 1
        assert i18n.current_language() == "en"
        assert cli.main(["--lang", "zh_CN", "villages", "--db", str(tmp_path / "missing.db")]) == 1
        assert i18n.current_language() == "zh_CN"
    finally:
        i18n.set_language("zh_CN")


def test_a_damaged_preferences_file_counts_as_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path))
    (tmp_path / "preferences.json").write_text("{not json", encoding="utf-8")
    assert saved_language() is None


def test_the_language_menu_saves_the_choice(
    window: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}  # type: ignore[attr-defined]
    language = next(a.menu() for a in menus["文件"].actions() if a.text() == "界面语言")
    english = next(a for a in language.actions() if a.text() == "English")
    english.trigger()
    assert saved_language() == "en"
    assert shown and "重新打开" in shown[0]
