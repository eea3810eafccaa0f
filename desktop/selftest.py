"""``doorstep --self-test``: proves that this copy of Doorstep works on this machine.

A township IT officer installs the app on thirty laptops; the self-test is how each one (and CI,
on the frozen build) shows in a few seconds that the parts a cadre relies on are all there: the
database layer with its migrations, the PDF ledger with the embedded CJK font, bundle signatures,
the main window, and a data folder outside the program folder (so an upgrade keeps the data).
Each step runs the real code on a temporary folder and reports what it did and how long it took;
the process exits 0 only when every step passed, else 1 with a sentence per failure.

    doorstep --self-test                      all steps
    doorstep --self-test --only window --db X open X in the main window and report when it is usable
    doorstep --self-test --keep DIR           keep the work files (database, PDF) in DIR

Lives outside desktop/core because its window step imports Qt (lazily, so the other steps run
without it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.i18n import _

STEPS = ("database", "pdf", "signature", "window", "folders")
# Only on request (--only app --db PLAIN.db): the whole start-up of `doorstep --db`, for timing.
EXTRA_STEPS = ("app",)
WINDOW_TIMEOUT_S = 60.0
SELF_TEST_NUMBER = "520102001001990001"
SELF_TEST_HEAD = "张自检"
SELF_TEST_ID_BODY = "52010219800101001"  # the check digit is computed below
SELF_TEST_PASSPHRASE = "自检口令-selftest"


class SelfTestFailure(Exception):
    """A step found something wrong; the message is the sentence shown to the person."""


@dataclass
class Workspace:
    """What the steps share: the work folder and, once made, the database and household."""

    folder: Path
    db_path: Path | None = None
    key: bytes | None = None  # the data key of an encrypted database
    passphrase: str | None = None  # for a database given with --db (DOORSTEP_PASSPHRASE)
    household_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- steps
def open_work_database(work: Workspace) -> Any:
    """The database the steps share: the self-test's own (by its key) or the one given."""
    from desktop.core.database import open_database

    assert work.db_path is not None
    return open_database(work.db_path, create=False, key=work.key, passphrase=work.passphrase)


def step_database(work: Workspace) -> str:
    """Create an encrypted database (SQLCipher, key wrapped by a passphrase) and migrate it,
    write one household through a unit of work, and read it back after reopening; the file
    holds nothing in clear and a wrong passphrase is refused without touching it."""
    from desktop.core.crypto import keys
    from desktop.core.database import Database
    from desktop.core.migrate import HEAD_REVISION
    from desktop.core.rules.idnumber import check_digit
    from desktop.core.services.households import create_household

    path = work.folder / "selftest.db"
    # A light Argon2id setting: the self-test proves the code path, not the cost.
    light = keys.KdfParams(memory_kib=8192, iterations=1, lanes=1)
    db = Database.open(path, create=True, passphrase=SELF_TEST_PASSPHRASE, kdf=light)
    key = db.data_key
    try:
        with db.unit_of_work(cadre=_("自检")) as uow:
            uow.insert_many(
                "region",
                [
                    {"code": "520102000000", "name": "自检县", "level": "county"},
                    {
                        "code": "520102001000",
                        "name": "自检镇",
                        "level": "township",
                        "parent_code": "520102000000",
                    },
                    {
                        "code": "520102001001",
                        "name": "自检村",
                        "level": "village",
                        "parent_code": "520102001000",
                    },
                ],
            )
            household_id = create_household(
                uow,
                {
                    "number": SELF_TEST_NUMBER,
                    "county_code": "520102000000",
                    "township_code": "520102001000",
                    "village_code": "520102001001",
                    "status": "poor",
                    "category": "general",
                    "main_cause": "illness",
                },
                [
                    {
                        "name": SELF_TEST_HEAD,
                        "id_number": SELF_TEST_ID_BODY + check_digit(SELF_TEST_ID_BODY),
                        "relation": "head",
                        "health": "chronic",
                        "labour": "ordinary",
                        "ethnicity": "01",
                    }
                ],
            )
    finally:
        db.close()
    if key is None or not keys.is_encrypted(path):
        raise SelfTestFailure(_("数据库没有加密。"))
    stored = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    for clear in (SELF_TEST_HEAD.encode(), SELF_TEST_NUMBER.encode(), b"SQLite format 3"):
        if clear in stored:
            raise SelfTestFailure(_("加密的数据库文件里有明文内容。"))
    before = path.read_bytes()
    try:
        Database.open(path, create=False, passphrase=SELF_TEST_PASSPHRASE + "x").close()
    except keys.WrongPassphrase:
        pass
    else:
        raise SelfTestFailure(_("错误的密码竟然打开了加密的数据库。"))
    if path.read_bytes() != before:
        raise SelfTestFailure(_("用错误的密码打开时，数据库文件被改动了。"))
    db = Database.open(path, create=False, passphrase=SELF_TEST_PASSPHRASE)
    try:
        with db.read() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            row = conn.exec_driver_sql(
                "SELECT number, head_name, size FROM household WHERE id = ?", (household_id,)
            ).first()
            logged = conn.exec_driver_sql(
                "SELECT count(*) FROM change_log WHERE household_id = ?", (household_id,)
            ).scalar()
    finally:
        db.close()
    if revision != HEAD_REVISION:
        raise SelfTestFailure(
            _("数据库迁移后版本是 {found}，应为 {expected}。").format(
                found=revision, expected=HEAD_REVISION
            )
        )
    if row is None or tuple(row) != (SELF_TEST_NUMBER, SELF_TEST_HEAD, 1):
        raise SelfTestFailure(_("写入的农户读回时不一致：{row}。").format(row=row))
    if not logged:
        raise SelfTestFailure(_("写入农户时没有留下变更记录。"))
    work.db_path, work.key, work.household_id = path, key, household_id
    return _(
        "新建加密数据库并迁移到 {revision}，写入一户（{entries} 条变更记录），"
        "重新打开后读回；文件中没有明文，错误的密码被拒绝"
    ).format(revision=revision, entries=logged)


def step_pdf(work: Workspace) -> str:
    """Print the self-test household's ledger and check the PDF embeds the CJK font."""
    from reportlab.pdfbase import pdfmetrics

    from desktop.core.paths import cjk_font_path
    from desktop.ledger.fonts import CJK
    from desktop.ledger.village_ledger import print_household

    if work.db_path is None or work.household_id is None:
        raise SelfTestFailure(_("数据库一步没有成功，无法打印台账。"))
    if not cjk_font_path().is_file():
        raise SelfTestFailure(_("找不到中文字体 {path}。").format(path=cjk_font_path()))
    out = work.folder / "ledger.pdf"
    with open_work_database(work) as db:
        print_household(db, work.household_id, out)
    data = out.read_bytes()
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    # The PostScript name reportlab embeds, e.g. b"DroidSansFallback" (subset as AAAAAA+...).
    font_name = pdfmetrics.getFont(CJK).face.name
    if isinstance(font_name, str):
        font_name = font_name.encode()
    if not data.startswith(b"%PDF") or pages < 1:
        raise SelfTestFailure(_("台账 PDF 不完整。"))
    if b"/FontFile2" not in data or b"+" + font_name not in data:
        raise SelfTestFailure(_("台账 PDF 没有嵌入中文字体。"))
    return _("一户台账 {pages} 页，{size} KB，已嵌入 {font}").format(
        pages=pages, size=len(data) // 1024, font=font_name.decode()
    )


def step_signature(work: Workspace) -> str:
    """Sign a manifest the way bundles are signed (minisign), verify it, and make sure a
    changed byte is refused."""
    from desktop.sync import minisign

    key = minisign.generate_keypair()
    manifest = json.dumps(
        {"format": 1, "kind": "selftest", "device_id": "selftest", "entries": []},
        ensure_ascii=False,
    ).encode()
    signature = key.sign(manifest)
    public = str(key.public_key)
    (work.folder / "manifest.json").write_bytes(manifest)
    (work.folder / "manifest.json.minisig").write_text(signature, encoding="utf-8")
    (work.folder / "selftest.pub").write_text(key.public_key.pub_file_text(), encoding="utf-8")
    verified = minisign.verify(manifest, signature, public)
    tampered = manifest.replace(b"selftest", b"selftesT", 1)
    try:
        minisign.verify(tampered, signature, public)
    except minisign.BadSignatureError:
        pass
    else:
        raise SelfTestFailure(_("被改动过的内容竟然通过了签名校验。"))
    return _("minisign 签名（密钥 {key}）校验通过，改动一个字节后被拒绝").format(
        key=verified.key_id
    )


def step_window(work: Workspace) -> str:
    """Open the main window offscreen on the self-test database and wait until the tree and
    the first page of the household list are on screen, then close it."""
    if work.db_path is None:
        raise SelfTestFailure(_("数据库一步没有成功，无法打开主窗口。"))
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never show a window, with or without a screen
    from PySide6.QtCore import QEventLoop, QTimer, qInstallMessageHandler

    from desktop.core import i18n
    from desktop.ui.app import ensure_cjk_font, install_translations, make_application
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow
    from desktop.ui.tasks import TaskRunner

    started = time.perf_counter()
    previous_handler = qInstallMessageHandler(_quiet_offscreen)
    app = make_application()
    install_translations(app, i18n.current_language())
    ensure_cjk_font(app)
    db = open_work_database(work)
    runner = TaskRunner()
    window: Any = None
    try:
        window = MainWindow(AppContext(db, runner))
        window.offer_drafts = lambda: None  # a leftover draft must not open a dialog here
        loop = QEventLoop()
        outcome = {"ready": False}

        def ready() -> None:
            # Printed the moment the window is usable (closing it comes later and waits for the
            # worker): tests/bench/bench_frozen.py times the process up to this line.
            print(
                _("  主窗口可用：打开这一步后 {seconds:.2f} 秒").format(
                    seconds=time.perf_counter() - started
                ),
                flush=True,
            )
            outcome["ready"] = True
            loop.quit()

        window.ready.connect(ready)
        QTimer.singleShot(int(WINDOW_TIMEOUT_S * 1000), loop.quit)
        window.show()
        window.start()
        if not outcome["ready"]:
            loop.exec()
        if not outcome["ready"]:
            raise SelfTestFailure(
                _("主窗口在 {seconds:.0f} 秒内没有显示出农户列表。").format(
                    seconds=WINDOW_TIMEOUT_S
                )
            )
        rows = window.model.rowCount()
        if work.household_id is not None and rows < 1:
            raise SelfTestFailure(_("主窗口的农户列表是空的。"))
        return _("主窗口（{platform}）显示了 {rows} 户，已关闭").format(
            platform=app.platformName(), rows=rows
        )
    finally:
        if window is not None:
            window.close()
            window.deleteLater()
        runner.shutdown()
        db.close()
        qInstallMessageHandler(previous_handler)


def _quiet_offscreen(_mode: Any, _context: Any, message: str) -> None:
    """Qt's messages, minus the offscreen platform's note that it cannot resize windows."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def step_app(work: Workspace) -> str:
    """Start the app exactly as ``doorstep --db X`` does (``run_app``: the restore check, opening
    the file, the main window, the backup service) and quit once the window is usable. A
    watchdog ends every event loop, a dialog's included, if that does not happen in time."""
    from desktop.core.crypto import keys

    if work.db_path is None:
        raise SelfTestFailure(_("这一步需要用 --db 指定一个数据库。"))
    if keys.is_encrypted(work.db_path):
        # The app would ask for the passphrase in a dialog, which nobody can answer here.
        raise SelfTestFailure(_("这一步只能打开未加密的数据库；加密的请用 --only window。"))
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer, qInstallMessageHandler

    from desktop.core import i18n
    from desktop.ui.app import make_application, run_app
    from desktop.ui.main_window import MainWindow

    started = time.perf_counter()
    previous_handler = qInstallMessageHandler(_quiet_offscreen)
    app = make_application()
    outcome = {"ready": False}
    original_start = MainWindow.start

    def start(window: Any) -> None:
        def ready() -> None:
            print(
                _("  主窗口可用：打开这一步后 {seconds:.2f} 秒").format(
                    seconds=time.perf_counter() - started
                ),
                flush=True,
            )
            outcome["ready"] = True
            QTimer.singleShot(0, window.close)

        window.ready.connect(ready)
        window.offer_drafts = lambda: None  # a leftover draft must not open a dialog here
        original_start(window)

    MainWindow.start = start  # type: ignore[method-assign,assignment]
    QTimer.singleShot(int(WINDOW_TIMEOUT_S * 1000), lambda: app.exit(1))
    try:
        status = run_app(work.db_path, demo=False, lang=i18n.current_language())
    finally:
        MainWindow.start = original_start  # type: ignore[method-assign]
        qInstallMessageHandler(previous_handler)
    if not outcome["ready"]:
        raise SelfTestFailure(
            _("程序在 {seconds:.0f} 秒内没有打开可用的主窗口。").format(seconds=WINDOW_TIMEOUT_S)
        )
    if status != 0:
        raise SelfTestFailure(_("程序退出时返回 {status}。").format(status=status))
    return _("程序照常启动，主窗口可用后关闭")


def program_folder() -> Path:
    """Where the program lives: the frozen app's folder, or the source checkout."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[1]


def user_data_folder() -> Path:
    """The cadre's data folder, as the app computes it (platformdirs' user data dir)."""
    from platformdirs import user_data_dir

    # Same as desktop.ui.app.data_dir(), without importing Qt for it.
    return Path(user_data_dir("Doorstep", appauthor=False))


def step_folders(work: Workspace) -> str:
    """The data folder must lie outside the program folder: an upgrade replaces the program
    folder and must never take the cadre's database with it."""
    data, program = user_data_folder().resolve(), program_folder()
    if data == program or program in data.parents:
        raise SelfTestFailure(
            _("数据文件夹 {data} 在程序文件夹 {program} 里面，升级时会丢失数据。").format(
                data=data, program=program
            )
        )
    work.notes["data_folder"], work.notes["program_folder"] = str(data), str(program)
    return _("数据文件夹 {data}，程序文件夹 {program}（升级只替换程序文件夹）").format(
        data=data, program=program
    )


STEP_FUNCTIONS: dict[str, Callable[[Workspace], str]] = {
    "database": step_database,
    "pdf": step_pdf,
    "signature": step_signature,
    "window": step_window,
    "folders": step_folders,
    "app": step_app,
}


def step_title(name: str) -> str:
    titles = {
        "database": _("数据库"),
        "pdf": _("台账 PDF"),
        "signature": _("数据包签名"),
        "window": _("主窗口"),
        "folders": _("数据文件夹"),
        "app": _("程序启动"),
    }
    return titles[name]


# ---------------------------------------------------------------------------- running
@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str


def run_steps(
    steps: Sequence[str],
    work: Workspace,
    report: Callable[[StepResult], None] = lambda _r: None,
) -> list[StepResult]:
    """Run the steps in order; a failing step is reported and the others still run."""
    results = []
    for name in steps:
        started = time.perf_counter()
        try:
            detail, ok = STEP_FUNCTIONS[name](work), True
        except SelfTestFailure as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # any crash is a failure to report, not a traceback
            detail, ok = f"{type(exc).__name__}: {exc}", False
        result = StepResult(name, ok, time.perf_counter() - started, detail)
        report(result)
        results.append(result)
    return results


def _print_result(result: StepResult) -> None:
    template = (
        _("[通过] {title}：{detail}（{seconds:.2f} 秒）")
        if result.ok
        else _("[失败] {title}：{detail}（{seconds:.2f} 秒）")
    )
    line = template.format(
        title=step_title(result.name), detail=result.detail, seconds=result.seconds
    )
    print(line, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doorstep --self-test", description=_("程序自检"))
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only",
        help=_("只做这几步（用逗号分开）：{steps}").format(steps=",".join(STEPS + EXTRA_STEPS)),
    )
    parser.add_argument("--db", type=Path, help=_("主窗口一步打开这个数据库（不写入）"))
    parser.add_argument("--keep", type=Path, help=_("把自检用的文件留在这个文件夹里"))
    parser.add_argument("--lang", help=argparse.SUPPRESS)  # handled by desktop.cli
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the self-test; ``argv`` are the command's arguments (``--self-test`` among them)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a console without Chinese must not crash it
    args = build_parser().parse_args(list(argv))
    steps = list(STEPS)
    if args.only:
        steps = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in steps if s not in STEP_FUNCTIONS]
        if unknown:
            print(
                _("错误：没有这一步自检：{names}（可选：{steps}）。").format(
                    names=",".join(unknown), steps=",".join(STEPS + EXTRA_STEPS)
                ),
                file=sys.stderr,
            )
            return 2
    if args.db is not None and not args.db.is_file():
        print(_("错误：找不到文件 {path}。").format(path=args.db), file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="doorstep-selftest-"))
    work = Workspace(folder)
    if args.db is not None:
        from desktop.core.crypto import keys

        work.db_path = args.db
        if keys.is_encrypted(args.db):
            work.passphrase = os.environ.get("DOORSTEP_PASSPHRASE")
    try:
        results = run_steps(steps, work, _print_result)
    finally:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    failed = [r for r in results if not r.ok]
    if failed:
        print(
            _("自检未通过：{failed} 项失败（{names}）。").format(
                failed=len(failed), names="、".join(step_title(r.name) for r in failed)
            ),
            file=sys.stderr,
            flush=True,
        )
        return 1
    print(_("自检通过：{count} 项全部正常。").format(count=len(results)), flush=True)
    return 0
