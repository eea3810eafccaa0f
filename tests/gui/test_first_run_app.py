"""``doorstep`` with no arguments on a new laptop, through ``run_app`` itself: the wizard, then the
main window; the next start asks for the passphrase (a wrong one first) and opens the same data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard

from desktop.core import i18n
from desktop.ui import app as app_module
from desktop.ui.first_run import wizard as wizard_module
from desktop.ui.first_run.wizard import MODE, PASSPHRASE, WORK, FirstRunWizard
from desktop.ui.lock.unlock_dialog import UnlockDialog
from desktop.ui.main_window import MainWindow

PASSPHRASE_TEXT = "河边村2024走访"


def visible(kind: type) -> Any:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return next((w for w in app.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


def drive(step: Callable[[], bool], seen: list[str], timeout_ms: int = 90_000) -> None:
    """Call ``step`` every 50 ms from the event loop ``run_app`` runs, until it says done."""
    waited = {"ms": 0}

    def tick() -> None:
        waited["ms"] += 50
        if waited["ms"] > timeout_ms:
            seen.append("timeout")
            for widget in QApplication.topLevelWidgets():
                widget.close()
            return
        if not step():
            QTimer.singleShot(50, tick)

    QTimer.singleShot(50, tick)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(wizard_module, "DEMO_HOUSEHOLDS", 8)
    yield tmp_path
    i18n.set_language("zh_CN")


def test_first_start_runs_the_wizard_and_the_next_asks_for_the_passphrase(
    qtbot: Any, home: Path
) -> None:
    seen: list[str] = []

    def first_start() -> bool:
        window = visible(MainWindow)
        if window is not None:
            if window.model.rowCount() == 8 and window.ctx.runner.wait_idle(30):
                seen.append(f"main:{window.ctx.db.path.name}")
                window.close()
                return True
            return False
        wizard = visible(FirstRunWizard)
        if wizard is None:
            return False
        page = wizard.currentId()
        if page == 0:
            wizard.next()
        elif page == MODE:
            wizard.pages[MODE].options["demo"][0].setChecked(True)
            wizard.next()
        elif page == PASSPHRASE:
            wizard.pages[PASSPHRASE].first.setText(PASSPHRASE_TEXT)
            wizard.pages[PASSPHRASE].again.setText(PASSPHRASE_TEXT)
            wizard.next()
        elif page == WORK and wizard.pages[WORK].isComplete():
            seen.append("wizard")
            wizard.button(QWizard.WizardButton.FinishButton).click()
        return False

    drive(first_start, seen)
    assert app_module.run_app(None, demo=False, lang="zh_CN") == 0
    assert seen == ["wizard", "main:demo.db"]
    data = home / "data" / "Doorstep"
    assert (data / "demo.db").exists() and (data / "demo.db.cipher.json").exists()

    def second_start() -> bool:
        window = visible(MainWindow)
        if window is not None:
            if window.model.rowCount() == 8 and window.ctx.runner.wait_idle(30):
                seen.append("main again")
                window.close()
                return True
            return False
        dialog = visible(UnlockDialog)
        if dialog is None or dialog.check.busy:
            return False
        if "wrong" not in seen:
            seen.append("wrong")
            dialog.field.setText("不是这个密码abc")
        elif "密码不对" in dialog.message.text() and "right" not in seen:
            seen.append("right")
            dialog.field.setText(PASSPHRASE_TEXT)
        else:
            return False
        dialog.try_open()
        return False

    drive(second_start, seen)
    assert app_module.run_app(None, demo=False, lang="zh_CN") == 0
    assert seen[2:] == ["wrong", "right", "main again"]
