"""The first-run wizard, driven like a cadre would: the demo path, and enrolling by USB stick
with a real county folder (request on the stick, certificate and first down-bundle back)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QWizard

from county.data import County
from county.enrollment import enroll
from county.exchange import write_outboxes
from desktop.core import i18n
from desktop.core.preferences import load_preferences
from desktop.sync import keys as keyring
from desktop.ui.context import AppContext
from desktop.ui.first_run import needs_first_run, startup_path
from desktop.ui.first_run.setup_state import load_setup, setup_file
from desktop.ui.first_run.wizard import (
    CERTIFICATE,
    DATA,
    LANGUAGE,
    MODE,
    PASSPHRASE,
    RESUME,
    STICK,
    WORK,
    FirstRunWizard,
)
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households, seed_regions

PASSPHRASE_TEXT = "新寨村2024入户"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TaskRunner]:
    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path / "config"))
    worker = TaskRunner()
    yield worker
    worker.wait_idle(60)
    worker.shutdown()
    i18n.set_language("zh_CN")


def make_wizard(qtbot: Any, runner: TaskRunner, root: Path, **kwargs: Any) -> FirstRunWizard:
    wizard = FirstRunWizard(runner, root / "doorstep.db", root / "demo.db", **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def finish_work(qtbot: Any, wizard: FirstRunWizard, page_id: int) -> None:
    page = wizard.pages[page_id]
    qtbot.waitUntil(
        lambda: page.isComplete() or "color: #c62828" in page.status.styleSheet(), timeout=60_000
    )  # type: ignore[attr-defined]
    assert page.isComplete(), page.status.text()  # type: ignore[attr-defined]


def standard_cancel() -> str:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    text = box.buttons()[0].text().replace("&", "")
    box.deleteLater()
    return text


def set_passphrase(wizard: FirstRunWizard, first: str, again: str) -> None:
    page = wizard.pages[PASSPHRASE]
    page.first.setText(first)  # type: ignore[attr-defined]
    page.again.setText(again)  # type: ignore[attr-defined]


def test_demo_path_end_to_end(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    root = tmp_path / "data"
    assert needs_first_run(root / "doorstep.db")
    wizard = make_wizard(qtbot, runner, root, demo_households=12)
    assert wizard.currentId() == LANGUAGE
    # English is applied at once, to this page and the next, and saved
    wizard.pages[LANGUAGE].buttons["en"].setChecked(True)  # type: ignore[attr-defined]
    assert load_preferences()["language"] == "en"
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "Next"
    wizard.next()
    assert wizard.currentId() == MODE
    assert wizard.currentPage().title() == "How will this laptop be used?"
    assert standard_cancel() == "Cancel"  # Qt's own texts follow
    wizard.pages[LANGUAGE].buttons["zh_CN"].setChecked(True)  # type: ignore[attr-defined]
    assert wizard.currentPage().title() == "这台电脑怎么用？"
    assert standard_cancel() == "取消"
    wizard.pages[LANGUAGE].buttons["en"].setChecked(True)  # type: ignore[attr-defined]
    assert standard_cancel() == "Cancel"  # the Chinese catalogue was taken out again
    wizard.pages[LANGUAGE].buttons["zh_CN"].setChecked(True)  # type: ignore[attr-defined]
    wizard.pages[MODE].options["demo"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == PASSPHRASE
    # the strength rule, said clearly
    page = wizard.pages[PASSPHRASE]
    set_passphrase(wizard, "1234", "")
    assert not page.isComplete()
    assert "至少要 8 个字符" in page.problem.text()  # type: ignore[attr-defined]
    set_passphrase(wizard, "abcdefgh", "abcdefgh")
    assert "至少两种" in page.problem.text()  # type: ignore[attr-defined]
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT + "x")
    assert "不一样" in page.problem.text()  # type: ignore[attr-defined]
    assert not page.isComplete()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    assert page.isComplete()
    wizard.next()
    assert wizard.currentId() == WORK
    finish_work(qtbot, wizard, WORK)
    assert wizard.nextId() == -1
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    db = wizard.take_database()
    assert db is not None
    try:
        assert db.path == root / "demo.db"
        assert db.encrypted
        assert not setup_file(db.path).exists()
        # the next start opens the demo, not the wizard
        assert startup_path(root / "doorstep.db") == root / "demo.db"
        assert not needs_first_run(root / "demo.db")
        # the main window opens on it
        ctx = AppContext(db, runner)
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.ready, timeout=30_000):
            window.show()
            window.start()
        assert window.model.rowCount() == 12
        assert window.idle_lock is not None
        runner.wait_idle(30)
        window.close()
    finally:
        db.close()
    # nothing of the data lies in the file in clear
    assert b"SQLite format 3" not in (root / "demo.db").read_bytes()[:16]


def test_cancelling_the_demo_leaves_no_database(
    qtbot: Any, runner: TaskRunner, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    wizard = make_wizard(qtbot, runner, root, demo_households=3000)
    wizard.next()
    wizard.pages[MODE].options["demo"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    wizard.next()
    page = wizard.pages[WORK]
    qtbot.waitUntil(lambda: page.bar.maximum() > 0 and page.bar.value() > 0, timeout=30_000)  # type: ignore[attr-defined]
    wizard.reject()
    assert wizard.result() == QWizard.DialogCode.Rejected
    assert not (root / "demo.db").exists()
    assert not (root / "demo.db.cipher.json").exists()
    assert wizard.db is None


# ------------------------------------------------------------------ enrolling by stick
@pytest.fixture
def county(tmp_path: Path) -> Iterator[County]:
    folder = County.init(tmp_path / "county", "示范县")
    authoring = getattr(folder, "authoring", None)  # the county's own edits (its replica)
    with authoring() if authoring else contextlib.nullcontext(folder.db) as db:  # type: ignore[attr-defined]
        with db.unit_of_work(cadre="县里") as uow:
            seed_regions(uow)
        seed_households(db, 3, VILLAGE)
        seed_households(db, 2, OTHER_VILLAGE, start=10)
    yield folder
    folder.close()


def test_enroll_by_stick_with_a_real_county_and_resume(
    qtbot: Any, runner: TaskRunner, tmp_path: Path, county: County
) -> None:
    root, stick = tmp_path / "data", tmp_path / "stick"
    stick.mkdir()
    wizard = make_wizard(qtbot, runner, root)
    wizard.next()
    wizard.pages[MODE].options["stick"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == STICK
    page = wizard.pages[STICK]
    page.cadre_edit.setText("王干部")  # type: ignore[attr-defined]
    page.stick_edit.setText(str(tmp_path / "no-such-stick"))  # type: ignore[attr-defined]
    wizard.next()
    assert wizard.currentId() == STICK  # a missing stick is said, not passed over
    assert "找不到" in page.problem.text()  # type: ignore[attr-defined]
    page.stick_edit.setText(str(stick))  # type: ignore[attr-defined]
    wizard.next()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    wizard.next()
    finish_work(qtbot, wizard, WORK)
    requests = list((stick / "Doorstep" / "enroll").glob("*.request.json"))
    assert len(requests) == 1
    assert requests[0].stat().st_mode & 0o044  # public keys only: the county's account reads it
    wizard.next()
    assert wizard.currentId() == CERTIFICATE
    assert load_setup(root / "doorstep.db").stage == "requested"  # type: ignore[union-attr]
    # the certificate takes days: the cadre closes the app here
    wizard.reject()
    assert (root / "doorstep.db").exists() and needs_first_run(root / "doorstep.db")

    # at the county: the request is turned into a certificate, the first down-bundle exported
    request = json.loads(requests[0].read_text(encoding="utf-8"))
    cert = enroll(county, request, [VILLAGE])
    (stick / "Doorstep" / "enroll" / f"{request['device_id']}.cert.json").write_text(
        json.dumps(cert, ensure_ascii=False), encoding="utf-8"
    )
    assert write_outboxes(county, stick / "Doorstep" / "inbox")

    # next start: the wizard resumes with the passphrase
    again = make_wizard(qtbot, runner, root)
    assert again.currentId() == RESUME
    resume = again.pages[RESUME]
    before = (root / "doorstep.db").read_bytes()
    resume.passphrase_edit.setText("不是这个密码123")  # type: ignore[attr-defined]
    resume.open_database()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: resume.task is None, timeout=30_000)  # type: ignore[attr-defined]
    assert "密码不对" in resume.status.text()  # type: ignore[attr-defined]
    assert again.currentId() == RESUME
    assert (root / "doorstep.db").read_bytes() == before  # nothing touched
    resume.passphrase_edit.setText(PASSPHRASE_TEXT)  # type: ignore[attr-defined]
    resume.open_database()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: again.currentId() == CERTIFICATE, timeout=30_000)
    finish_work(qtbot, again, CERTIFICATE)  # found on the stick and installed
    assert "王干部" in again.pages[CERTIFICATE].status.text()  # type: ignore[attr-defined]
    again.next()
    assert again.currentId() == DATA
    finish_work(qtbot, again, DATA)
    assert "3 户" in again.pages[DATA].status.text()  # type: ignore[attr-defined]
    again.button(QWizard.WizardButton.FinishButton).click()
    db = again.take_database()
    assert db is not None
    try:
        assert keyring.certificate(db)["villages"] == [VILLAGE]  # type: ignore[index]
        with db.read() as conn:
            villages = {
                row[0] for row in conn.exec_driver_sql("SELECT village_code FROM household")
            }
        assert villages == {VILLAGE}  # only this laptop's village came down
    finally:
        db.close()
    assert not needs_first_run(root / "doorstep.db")
    assert not list((stick / "Doorstep" / "inbox" / request["device_id"]).glob("*.dsb"))


def test_a_certificate_for_another_laptop_is_refused(
    qtbot: Any, runner: TaskRunner, tmp_path: Path, county: County
) -> None:
    root, stick = tmp_path / "data", tmp_path / "stick"
    stick.mkdir()
    wizard = make_wizard(qtbot, runner, root)
    wizard.next()
    wizard.pages[MODE].options["stick"][0].setChecked(True)  # type: ignore[attr-defined]
    wizard.next()
    wizard.pages[STICK].cadre_edit.setText("李干部")  # type: ignore[attr-defined]
    wizard.pages[STICK].stick_edit.setText(str(stick))  # type: ignore[attr-defined]
    wizard.next()
    set_passphrase(wizard, PASSPHRASE_TEXT, PASSPHRASE_TEXT)
    wizard.next()
    finish_work(qtbot, wizard, WORK)
    wizard.next()
    # a certificate the county issued to someone else's request
    from desktop.core.database import open_database

    other = open_database(tmp_path / "other.db")
    try:
        foreign = enroll(county, keyring.enrollment_request(other, "别人"), [VILLAGE])
    finally:
        other.close()
    path = tmp_path / "foreign.cert.json"
    path.write_text(json.dumps(foreign, ensure_ascii=False), encoding="utf-8")
    page = wizard.pages[CERTIFICATE]
    qtbot.waitUntil(lambda: page.task is None, timeout=30_000)  # type: ignore[attr-defined]
    page.install(path)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.task is None, timeout=30_000)  # type: ignore[attr-defined]
    assert "另一台电脑" in page.status.text()  # type: ignore[attr-defined]
    assert not page.isComplete()
    assert load_setup(root / "doorstep.db").stage == "requested"  # type: ignore[union-attr]
    wizard.reject()
