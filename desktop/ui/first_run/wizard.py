"""The first-run wizard: language, enroll or demo, passphrase, the villages' data.

Shown when the app starts without a database (or with one whose setup never finished). The
order follows what must exist before what: the passphrase comes before the database is made
(so nothing is ever written unencrypted), the database before the keys, the keys before the
request, the certificate before the data. ``setup_state`` records each consistent point, and a
wizard opened on an unfinished setup starts with the passphrase and goes on from there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from desktop.core import i18n
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.preferences import save_preference
from desktop.ui.first_run.pages_choice import (
    LanguagePage,
    ModePage,
    OnlinePage,
    Page,
    PassphrasePage,
    StickPage,
)
from desktop.ui.first_run.pages_work import CertificatePage, DataPage, ResumePage, WorkPage
from desktop.ui.first_run.setup_state import SetupState, finish_setup, load_setup
from desktop.ui.tasks import TaskRunner

LANGUAGE, MODE, STICK, ONLINE, PASSPHRASE, WORK, CERTIFICATE, DATA, RESUME = range(9)
DATABASE_PREFERENCE = "database"  # the demo's path, opened at the next start
DEMO_HOUSEHOLDS = 2000
DEMO_SEED = 2021


class FirstRunWizard(QWizard):
    def __init__(
        self,
        runner: TaskRunner,
        path: Path,
        demo_path: Path,
        parent: QWidget | None = None,
        demo_households: int | None = None,
        demo_seed: int = DEMO_SEED,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("first_run")
        self.runner = runner
        self.path = path
        self.demo_path = demo_path
        self.demo_households = demo_households or DEMO_HOUSEHOLDS
        self.demo_seed = demo_seed
        self.db: Database | None = None
        self.enroll_code = ""
        resumed = load_setup(path)
        resumable = (
            resumed is not None and path.exists() and resumed.stage in ("requested", "enrolled")
        )
        self.state = resumed or SetupState(str(path))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.resize(640, 480)
        self.pages: dict[int, Page] = {
            LANGUAGE: LanguagePage(self),
            MODE: ModePage(self),
            STICK: StickPage(self),
            ONLINE: OnlinePage(self),
            PASSPHRASE: PassphrasePage(self),
            WORK: WorkPage(self),
            CERTIFICATE: CertificatePage(self),
            DATA: DataPage(self),
            RESUME: ResumePage(self),
        }
        for page_id, page in self.pages.items():
            self.setPage(page_id, page)
        self.setStartId(RESUME if resumable else LANGUAGE)
        self.retranslate()

    # ------------------------------------------------------------------ language
    def set_language(self, language: str) -> None:
        """Applied at once to every page and to Qt's own texts, and saved for next time."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            from desktop.ui.app import install_translations

            install_translations(app, language)
            app.setApplicationDisplayName(_("入户通"))
        else:
            i18n.set_language(language)
        save_preference("language", language)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(_("入户通 — 首次使用"))
        for which, text in (
            (QWizard.WizardButton.BackButton, _("上一步")),
            (QWizard.WizardButton.NextButton, _("下一步")),
            (QWizard.WizardButton.CommitButton, _("下一步")),
            (QWizard.WizardButton.FinishButton, _("完成")),
            (QWizard.WizardButton.CancelButton, _("取消")),
        ):
            self.setButtonText(which, text)
        for page in self.pages.values():
            page.retranslate()

    # ------------------------------------------------------------------ flow
    def nextId(self) -> int:  # noqa: N802 (Qt's name)
        current, mode = self.currentId(), self.state.mode
        if current == LANGUAGE:
            return MODE
        if current == MODE:
            return {"stick": STICK, "online": ONLINE}.get(mode, PASSPHRASE)
        if current in (STICK, ONLINE):
            return PASSPHRASE
        if current == PASSPHRASE:
            return WORK
        if current == WORK:
            return {"stick": CERTIFICATE, "online": DATA}.get(mode, -1)
        if current == CERTIFICATE:
            return DATA
        if current == RESUME:
            return DATA if self.state.stage == "enrolled" else CERTIFICATE
        return -1

    def passphrase(self) -> str:
        page = self.pages[PASSPHRASE]
        assert isinstance(page, PassphrasePage)
        return page.passphrase()

    def certificate_text(self, cert: dict[str, Any]) -> str:
        return _("登记完成：干部 {cadre}，负责的村 {villages}。").format(
            cadre=cert.get("cadre", ""), villages="、".join(cert.get("villages", []))
        )

    # ------------------------------------------------------------------ ending
    def accept(self) -> None:
        """Setup is complete: the marker goes, and the app opens on this database."""
        if self.db is None:
            return
        finish_setup(self.db.path)
        if self.state.mode == "demo":
            save_preference(DATABASE_PREFERENCE, str(self.db.path))
        super().accept()

    def reject(self) -> None:
        """Cancel: running work is stopped and waited for, so what is on disk is either
        nothing or a consistent stage the next start resumes from."""
        work = self.pages[WORK]
        if self.state.mode == "demo" and isinstance(work, WorkPage) and work.task is not None:
            work.task.cancel()  # a half-built demo is removed by the step itself
        self.setCursor(Qt.CursorShape.WaitCursor)
        self.runner.wait_idle(120)
        self.unsetCursor()
        self.close_database()
        super().reject()

    def close_database(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.reject()
        event.accept()

    def take_database(self) -> Database | None:
        """The finished laptop's open database, handed to the main window."""
        db, self.db = self.db, None
        return db
