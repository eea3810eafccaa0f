"""Never lose a keystroke: a visit being typed survives the app being killed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from desktop.core.database import Database
from desktop.ui.drafts import load_drafts
from desktop.ui.main_window import MainWindow
from tests.gui.conftest import settle

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from desktop.core.database import open_database
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow
    from desktop.ui.tasks import TaskRunner

    app = QApplication([])
    db = open_database(Path(sys.argv[1]))
    ctx = AppContext(db, TaskRunner())
    window = MainWindow(ctx)
    window.show()
    window.start()
    ctx.runner.wait_idle(20)
    view = window.open_household(sys.argv[2])
    ctx.runner.wait_idle(20)
    dialog = view.visits.open_dialog()
    dialog.form.widgets["notes"].setPlainText("屋顶漏雨，需要维修。")
    dialog.closing.widgets["follow_ups"].setPlainText("下周联系住建部门")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # typing stops; the draft timer fires by itself
        app.processEvents()
        with db.read() as conn:
            if conn.exec_driver_sql("SELECT COUNT(*) FROM draft").scalar():
                break
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)  # no clean shutdown, like a power cut
    """
)


def test_visit_draft_survives_a_kill_and_is_offered_back(
    sample_db: Database, ids: dict[str, str], qtbot: Any, ctx: Any
) -> None:
    path = Path(sample_db.path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), ids["household"]],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    drafts = load_drafts(sample_db)
    assert [d.kind for d in drafts] == ["visit"]

    window = MainWindow(ctx)
    asked: list[str] = []
    window.ask_yes_no = lambda _p, _t, question: asked.append(question) or True
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle(ctx)
    assert asked and "1 份没有保存" in asked[0]
    view = window.household_views[ids["household"]]
    dialog = view.findChild(object, "visit_dialog")
    assert dialog.form.raw_values()["notes"] == "屋顶漏雨，需要维修。"
    assert dialog.closing.raw_values()["follow_ups"] == "下周联系住建部门"
    dialog.save()
    settle(ctx)
    assert view.detail.visits[0]["notes"] == "屋顶漏雨，需要维修。"
    assert load_drafts(sample_db) == []  # saved: the draft is gone


def test_declined_drafts_are_discarded(sample_db: Database, ctx: Any, qtbot: Any) -> None:
    from desktop.ui.drafts import save_draft

    save_draft(sample_db, "new_household", "new_household", None, {"form": {"number": "X1"}})
    window = MainWindow(ctx)
    window.ask_yes_no = lambda *_a: False
    qtbot.addWidget(window)
    window.start()
    settle(ctx)
    assert load_drafts(sample_db) == []
