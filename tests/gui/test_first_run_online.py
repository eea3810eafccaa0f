"""The first-run wizard enrolling online against a real county server over HTTP, and a
setup killed half-way (SIGKILL) that the next start resumes or starts over cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QWizard

from county.data import County
from county.server import create_app
from desktop.sync import keys as keyring
from desktop.ui.first_run import needs_first_run, startup_path
from desktop.ui.first_run.setup_state import SetupState, load_setup, setup_file
from desktop.ui.first_run.steps import create_database
from desktop.ui.first_run.wizard import DATA, LANGUAGE, MODE, ONLINE, PASSPHRASE, WORK
from desktop.ui.sync.online_settings import load_settings
from tests.county.codes import issue
from tests.county.live_server import serving
from tests.gui.test_first_run import (
    PASSPHRASE_TEXT,
    finish_work,
    make_wizard,
    runner,  # noqa: F401 (fixture)
    set_passphrase,
)
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households, seed_regions


@pytest.fixture
def county_root(tmp_path: Path) -> Path:
    root = tmp_path / "county"
    county = County.init(root, "示范县")
    try:
        authoring = getattr(county, "authoring", None)
        with authoring() if authoring else contextlib.nullcontext(county.db) as db:  # type: ignore[attr-defined]
            with db.unit_of_work(cadre="县里") as uow:
                seed_regions(uow)
            seed_households(db, 2, VILLAGE)
            seed_households(db, 2, OTHER_VILLAGE, start=10)
    finally:
        county.close()
    return root


@pytest.fixture
def server(county_root: Path) -> Iterator[tuple[str, str]]:
    app = create_app(county_root)
    code = issue(county_root, [VILLAGE], cadre="张三")  # the county chose the village
    with serving(app) as url:
        yield url, code


def test_enroll_online_then_download(
    qtbot: Any,
    runner: Any,  # noqa: F811
    tmp_path: Path,
    server: tuple[str, str],
) -> None:
    url, code = server
    root = tmp_path / "data"
    wizard = make_wizard(qtbot, runner, root)
    wizard.next()
    wizard.pages[MODE].options["online"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == ONLINE
    page = wizard.pages[ONLINE]
    page.cadre_edit.setText("张三")  # type: ignore[attr-defined]
    page.server_edit.setText(url)  # type: ignore[attr-defined]
    assert not page.isComplete()  # the code is still missing
    page.code_edit.setText("not-the-code")  # type: ignore[attr-defined]
    assert page.isComplete()
    assert page.findChild(QLineEdit, "online_villages") is None  # the cadre chooses no village
    wizard.next()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    wizard.next()
    assert wizard.currentId() == WORK
    work = wizard.pages[WORK]
    qtbot.waitUntil(lambda: work.task is None, timeout=30_000)  # type: ignore[attr-defined]
    # the county's refusal, in its words; the page offers to try again or to go back
    assert "登记口令不对" in work.status.text()  # type: ignore[attr-defined]
    assert not work.isComplete() and work.retry.isVisible()  # type: ignore[attr-defined]
    wizard.back()
    wizard.back()
    assert wizard.currentId() == ONLINE
    page.code_edit.setText(code)  # type: ignore[attr-defined]
    wizard.next()
    wizard.next()
    finish_work(qtbot, wizard, WORK)
    assert "张三" in work.status.text()  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == DATA
    finish_work(qtbot, wizard, DATA)
    assert "2 户" in wizard.pages[DATA].status.text()  # type: ignore[attr-defined]
    wizard.button(QWizard.WizardButton.FinishButton).click()
    db = wizard.take_database()
    assert db is not None
    try:
        assert db.encrypted
        assert keyring.certificate(db)["villages"] == [VILLAGE]  # type: ignore[index]
        with db.read() as conn:
            assert {r[0] for r in conn.exec_driver_sql("SELECT village_code FROM household")} == {
                VILLAGE
            }
        assert load_settings(db).server == url  # the sync window knows its county server
    finally:
        db.close()
    assert not needs_first_run(root / "doorstep.db")


# ------------------------------------------------------------------ crashes half-way
def test_a_crash_before_the_request_starts_over_from_nothing(
    qtbot: Any,
    runner: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    root, stick = tmp_path / "data", tmp_path / "stick"
    stick.mkdir()
    # the last run made the database and its keys, then died before writing the request
    state = SetupState(str(root / "doorstep.db"), mode="stick", cadre="王干部", stick=str(stick))
    create_database(state, PASSPHRASE_TEXT).close()
    (root / "doorstep.db.keys.json").write_text("{}", encoding="utf-8")
    assert load_setup(root / "doorstep.db").stage == "start"  # type: ignore[union-attr]
    assert needs_first_run(root / "doorstep.db")
    wizard = make_wizard(qtbot, runner, root)
    assert wizard.currentId() == LANGUAGE  # nothing consistent to resume: start again
    assert wizard.state.cadre == "王干部" and wizard.state.stick == str(stick)
    wizard.next()
    assert wizard.pages[MODE].options["stick"][0].isChecked()  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.pages[wizard.currentId()].cadre_edit.text() == "王干部"  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == PASSPHRASE
    set_passphrase(wizard, "另一个密码abc1", "另一个密码abc1")
    wizard.next()
    finish_work(qtbot, wizard, WORK)
    assert wizard.db is not None
    assert load_setup(root / "doorstep.db").stage == "requested"  # type: ignore[union-attr]
    # the half-made files were replaced, not reused: the new passphrase opens the new keys
    keyring.device_keys(wizard.db, create=False)
    wizard.reject()


DEMO_SCRIPT = """
import sys
from pathlib import Path
from desktop.ui.first_run.setup_state import SetupState
from desktop.ui.first_run.steps import build_demo
state = SetupState(sys.argv[1], mode="demo")
def progress(done, total, text):
    print(done, total, flush=True)
build_demo(state, sys.argv[2], 20000, 7, progress, lambda: False)
"""


def test_a_demo_killed_half_way_is_never_opened_and_is_built_again(
    qtbot: Any,
    runner: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    demo = root / "demo.db"
    child = subprocess.Popen(
        [sys.executable, "-c", DEMO_SCRIPT, str(demo), PASSPHRASE_TEXT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:  # wait until it is really writing households
            if int(line.split()[0]) > 0:
                break
        time.sleep(0.2)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert demo.exists() and setup_file(demo).exists()
    # the next start does not take the half-built demo for a database
    assert startup_path(root / "doorstep.db") == root / "doorstep.db"
    assert needs_first_run(demo)
    wizard = make_wizard(qtbot, runner, root, demo_households=5)
    assert wizard.currentId() == LANGUAGE
    wizard.next()
    wizard.pages[MODE].options["demo"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    wizard.next()
    finish_work(qtbot, wizard, WORK)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    db = wizard.take_database()
    assert db is not None
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 5
    finally:
        db.close()
    assert not setup_file(demo).exists()
    assert startup_path(root / "doorstep.db") == demo
