"""GUI test fixtures: a real sample database, the real worker thread, real windows (offscreen).

Qt warnings fail tests (``qt_log_level_fail`` in pyproject). Message boxes are replaced by
recorders on the context/window so a test never blocks on a modal dialog.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from desktop.core.database import Database, open_database  # noqa: E402
from desktop.ui.context import AppContext  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.tasks import TaskRunner  # noqa: E402
from tests.gui.sample import build_sample  # noqa: E402


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once per session; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("template") / "sample.db"
    db = open_database(path)
    ids = build_sample(db, 30)
    with db.read() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path, ids


@pytest.fixture
def sample_db(tmp_path: Path, sample_template: tuple[Path, dict[str, str]]) -> Iterator[Database]:
    path = tmp_path / "doorstep.db"
    shutil.copy(sample_template[0], path)
    db = open_database(path)
    yield db
    db.close()


@pytest.fixture
def ids(sample_template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return sample_template[1]


class Recorder:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[Any] = []
        self.accept_warnings = True

    def show_error(self, _parent: Any, message: str) -> None:
        self.errors.append(message)

    def confirm(self, _parent: Any, problems: Any, _table: str) -> bool:
        self.warnings.append(list(problems))
        return self.accept_warnings


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(qtbot: Any, sample_db: Database, recorder: Recorder) -> Iterator[AppContext]:
    runner = TaskRunner()
    context = AppContext(sample_db, runner)
    context.show_error = recorder.show_error
    context.confirm_warnings = recorder.confirm
    yield context
    runner.wait_idle(20)
    runner.shutdown()


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> MainWindow:
    win = MainWindow(ctx)
    win.ask_yes_no = lambda *_a: True
    qtbot.addWidget(win)
    win.show()
    win.start()
    assert ctx.runner.wait_idle(20)
    return win


def settle(ctx: AppContext) -> None:
    """Let every queued worker task finish and its result be delivered."""
    assert ctx.runner.wait_idle(20)


# The offscreen platform cannot pass size hints to a window manager it does not have; that
# notice is about the test platform, not about Doorstep, so it alone is tolerated.
OFFSCREEN_NOTICES = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOTICES))
