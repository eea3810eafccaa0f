"""Starting the cadre's app: Qt, fonts, translations, the database, the main window.

Chinese must never show as boxes, so when the system has no font covering Simplified Chinese the
bundled one is registered and put behind the default font. Qt's own dialogs (file pickers, message
box buttons) are translated with Qt's catalogue. The demo county is created on first use, on the
worker, with progress shown.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_dir
from PySide6.QtCore import QEventLoop, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from desktop.core import i18n
from desktop.core.database import open_database
from desktop.core.i18n import _
from desktop.core.paths import cjk_font_path
from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskContext, TaskRunner, describe_error

APP_NAME = "Doorstep"
DEMO_HOUSEHOLDS = 2000
DEMO_SEED = 2021

log = logging.getLogger(__name__)


def data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "doorstep.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def has_cjk_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def ensure_cjk_font(app: QApplication, force: bool = False) -> str | None:
    """Register the bundled CJK font when the system lacks one; returns the family used."""
    if has_cjk_font() and not force:
        return None
    font_id = QFontDatabase.addApplicationFont(str(cjk_font_path()))
    if font_id < 0:
        log.warning("could not load bundled CJK font %s", cjk_font_path())
        return None
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    font = QFont(app.font())
    font.setFamilies([app.font().family(), family])
    app.setFont(font)
    QFont.insertSubstitution(app.font().family(), family)
    return family


_QT_TRANSLATORS: list[QTranslator] = []  # installed now; replaced when the language changes


def install_translations(app: QApplication, language: str) -> list[QTranslator]:
    """Qt's own strings (buttons, file dialogs) in the interface language; calling it again
    (the first-run wizard's language page) replaces the previous language's."""
    i18n.set_language(language)
    for previous in _QT_TRANSLATORS:
        app.removeTranslator(previous)
    _QT_TRANSLATORS.clear()
    installed: list[QTranslator] = []
    if language == "zh_CN":
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase_zh_CN", "qt_zh_CN"):
            translator = QTranslator(app)
            if translator.load(name, folder):
                app.installTranslator(translator)
                installed.append(translator)
                break
    else:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    _QT_TRANSLATORS.extend(installed)
    return installed


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(_("入户通"))
    return app


def create_demo(
    path: Path,
    households: int = DEMO_HOUSEHOLDS,
    seed: int = DEMO_SEED,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> None:
    """Build the demo county into a temporary file, then move it (and its photos) in place, so
    a crash or a cancel mid-way leaves no half-built demo behind."""
    from desktop.core.demo import generate_demo
    from desktop.core.photos import store_dir

    partial = path.with_name(f"{path.stem}-partial.db")
    for leftover in (
        partial,
        partial.with_name(partial.name + "-wal"),
        partial.with_name(partial.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(store_dir(partial), ignore_errors=True)
    db = open_database(partial)
    try:
        generate_demo(db, households, seed, True, progress, cancel)
    finally:
        db.close()
    if store_dir(partial).exists():
        shutil.rmtree(store_dir(path), ignore_errors=True)
        store_dir(partial).replace(store_dir(path))
    partial.replace(path)


def build_demo_with_progress(runner: TaskRunner, path: Path) -> bool:
    """Create the demo on the worker while a progress dialog (with 取消) stays responsive."""
    dialog = QProgressDialog(_("正在生成示范县，只在第一次打开时需要…"), _("取消"), 0, 100)
    dialog.setWindowTitle(_("入户通"))
    dialog.setMinimumDuration(0)
    loop = QEventLoop()
    outcome: dict[str, object] = {}

    def work(context: TaskContext) -> None:
        create_demo(path, progress=context.progress, cancel=lambda: context.cancelled)

    def progress(done: int, total: int, _text: str) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(done)

    def finish(ok: bool, error: BaseException | None = None) -> None:
        outcome["ok"], outcome["error"] = ok, error
        loop.quit()

    task = runner.submit(
        work,
        lambda _r: finish(True),
        lambda exc: finish(False, exc),
        on_progress=progress,
        wants_context=True,
    )
    dialog.canceled.connect(task.cancel)
    dialog.canceled.connect(lambda: finish(False))
    loop.exec()
    ok, error = bool(outcome.get("ok")), outcome.get("error")
    dialog.blockSignals(True)
    dialog.close()
    if error is not None:
        QMessageBox.critical(
            None,
            _("入户通"),
            _("无法生成示范数据：{error}").format(error=describe_error(error)),  # type: ignore[arg-type]
        )
    return ok


def run_app(db_path: Path | None, demo: bool, lang: str) -> int:
    """Open the cadre's app; returns the process exit status."""
    app = make_application()
    install_translations(app, lang)
    ensure_cjk_font(app)
    if demo:
        path = demo_db_path()
        if not path.exists():
            try:
                create_demo(path)
            except Exception as exc:  # shown to the person who asked for the demo
                QMessageBox.critical(
                    None, _("入户通"), _("无法生成示范数据：{error}").format(error=exc)
                )
                return 1
    else:
        path = db_path or default_db_path()
    runner = TaskRunner()
    from desktop.ui.backup import startup as backup_startup

    backup_startup.recover_interrupted_restore(path)  # a restore cut short: finished or undone
    if db_path is None and not demo:  # a new laptop gets the first-run wizard
        from desktop.ui.first_run.startup import set_up_or_unlock

        db = set_up_or_unlock(runner, default_db_path(), demo_db_path())
    else:
        from desktop.ui.lock.unlock_dialog import open_at_start

        db = open_at_start(path)  # asks for the passphrase when the file is encrypted
    if db is None and backup_startup.offer_restore_when_damaged(path, runner):
        from desktop.ui.lock.unlock_dialog import open_at_start

        db = open_at_start(path)  # restored from a backup: open it
    if db is None:
        runner.shutdown()
        return 1
    ctx = AppContext(db, runner)
    window = MainWindow(ctx)
    window.show()
    window.start()
    from desktop.ui.backup.hooks import start_backup_service

    start_backup_service(window, daily=not demo)  # start-up check, daily backup (own worker)
    try:
        return app.exec()
    finally:
        runner.shutdown()
        db.close()
