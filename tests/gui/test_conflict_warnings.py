"""The conflict window with a value that only warns: the cadre sees the warning and decides.

Two real replicas edit a member's gender concurrently (the ID number says female; one laptop
chose 男). Keeping 男 from the window asks first, with the warning; going back leaves the
conflict open and the warning beside the field; confirming saves it as a resolve change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.ui.context import AppContext
from desktop.ui.sync.conflicts_panel import ConflictsPanel
from desktop.ui.tasks import TaskRunner
from tests.gui.conftest import Recorder, settle
from tests.sync.test_conflict_warnings import gender, gender_conflict, resolves


@pytest.fixture
def setup(qtbot: Any, tmp_path: Path) -> Iterator[tuple[Any, ...]]:
    a, b, member, conflict = gender_conflict(tmp_path)
    recorder = Recorder()
    ctx = AppContext(b, TaskRunner())
    ctx.show_error = recorder.show_error
    ctx.confirm_warnings = recorder.confirm
    panel = ConflictsPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.load()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    yield panel, ctx, recorder, b, member
    ctx.runner.wait_idle(20)
    ctx.runner.shutdown()
    a.close()
    b.close()


def test_keeping_a_value_that_warns_asks_and_saves_only_when_confirmed(
    setup: tuple[Any, ...], qtbot: Any
) -> None:
    panel, ctx, recorder, db, member = setup
    row = panel.current_row()
    assert row is not None and row["field"] == "gender"
    card = panel.winner_card if row["winner_value"] == "M" else panel.loser_card
    before = gender(db, member)

    recorder.accept_warnings = False  # the cadre goes back
    card.button.click()
    settle(ctx)
    [asked] = recorder.warnings
    assert asked and all(p.severity == "warning" for p in asked)
    assert any("性别" in p.message or p.field == "id_number" for p in asked)
    assert gender(db, member) == before and resolves(db) == 0
    assert panel.model.rowCount() == 1 and recorder.errors == []
    assert panel.form is not None and not panel.form.general_error.isHidden()
    assert asked[0].message in panel.form.general_error.text()  # the warning stays in view

    recorder.accept_warnings = True  # the cadre confirms
    with qtbot.waitSignal(panel.resolved, timeout=5000):
        card.button.click()
    settle(ctx)
    assert len(recorder.warnings) == 2
    assert gender(db, member) == "M" and resolves(db) == 1
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert not panel.empty.isHidden()


def test_a_value_without_warnings_is_saved_without_asking(
    setup: tuple[Any, ...], qtbot: Any
) -> None:
    panel, ctx, recorder, db, member = setup
    assert panel.form is not None
    panel.form.set_values({"gender": "F"})
    with qtbot.waitSignal(panel.resolved, timeout=5000):
        panel.save_other()
    settle(ctx)
    assert recorder.warnings == [] and recorder.errors == []
    assert gender(db, member) == "F"
