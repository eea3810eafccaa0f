"""The first run's slow steps, each a plain function the wizard runs on the worker.

No Qt here: each step takes what it needs, reports progress through a callback and raises a
ServiceError with a sentence for the cadre when it cannot go on. Each leaves the disk in a state
that ``setup_state`` can describe, which is what makes the wizard resumable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.durable import write_atomically
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync.exchange import import_bundles, put_setting
from desktop.sync.usb import stick_paths
from desktop.ui.first_run.setup_state import SetupState, remove_database, save_setup
from desktop.ui.lock.vault import open_with_passphrase
from desktop.ui.sync.online_settings import OnlineSettings, record_success, save_settings

Progress = Callable[[int, int, str], None]
LAST_STICK_KEY = "ui:last_stick"  # the sync window's remembered stick (exchange_panel)
REQUESTS_FOLDER = "enroll"  # Doorstep/enroll/ on the stick: requests out, certificates back


class FirstRunError(ServiceError):
    """A first-run step that cannot go on; nothing half-done is left behind."""


@dataclass(frozen=True)
class ImportSummary:
    bundles: int
    applied: int
    messages: tuple[str, ...]
    households: int


def create_database(state: SetupState, passphrase: str) -> Database:
    """A fresh encrypted database for this laptop. A leftover from an attempt that crashed
    before reaching a consistent stage is removed first."""
    save_setup(state)
    remove_database(state.path)
    return open_with_passphrase(state.path, passphrase, create=True)


# ------------------------------------------------------------------ enrollment by stick
def enroll_folder(stick: Path) -> Path:
    return Path(stick) / "Doorstep" / REQUESTS_FOLDER


def write_request(db: Database, state: SetupState) -> Path:
    """This laptop's keys and its signed request, written onto the stick for the county."""
    stick = Path(state.stick)
    if not stick.is_dir():
        raise FirstRunError(_("找不到 U 盘或文件夹 {path}。").format(path=stick))
    request = keyring.enrollment_request(db, state.cadre)
    folder = enroll_folder(stick)
    target = folder / f"{db.device_id}.request.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_public(target, json.dumps(request, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise FirstRunError(
            _("无法把登记申请写到 {path}（{error}），U 盘可能写保护或已满。").format(
                path=folder, error=exc.strerror or exc
            )
        ) from None
    state.request_file = str(target)
    state.stage = "requested"
    save_setup(state)
    return target


def write_public(path: Path, content: str) -> None:
    """Write a file meant for others (the request holds only public keys) whole or not at all:
    a stick pulled out mid-way leaves no half request for the county to stumble on."""
    write_atomically(path, content)


def find_certificate(db: Database, stick: Path) -> Path | None:
    """The county's certificate for this laptop on the stick, if it is already there."""
    device = db.device_id
    folders = [enroll_folder(stick), Path(stick) / "Doorstep", Path(stick)]
    folders.append(stick_paths(Path(stick), device)[1])
    for folder in folders:
        if not folder.is_dir():
            continue
        for candidate in sorted(folder.glob("*.json")):
            try:
                document = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            if (
                isinstance(document, dict)
                and document.get("type") == keyring.CERTIFICATE_TYPE
                and document.get("device_id") == device
            ):
                return candidate
    return None


def accept_certificate(db: Database, state: SetupState, path: Path) -> dict[str, Any]:
    cert = keyring.accept_certificate(db, keyring.read_json_file(path))
    state.stage = "enrolled"
    save_setup(state)
    return cert


# ------------------------------------------------------------------ enrollment online
def enroll_online(db: Database, state: SetupState, code: str) -> dict[str, Any]:
    """The code the county issued names the villages; the certificate says which they are."""
    from desktop.sync.client import enroll_online as ask_county

    cert = ask_county(db, state.server, state.cadre, code)
    save_settings(db, OnlineSettings(state.server, auto=True))  # the sync window's server
    state.stage = "enrolled"
    save_setup(state)
    return cert


# ------------------------------------------------------------------ the villages' data
def import_from_stick(db: Database, stick: Path, progress: Progress) -> ImportSummary:
    """Import the county's bundles for this laptop from ``Doorstep/inbox/<device>/``."""
    keyring.require_certificate(db)
    inbox = stick_paths(Path(stick), db.device_id)[1]
    files = sorted(p for p in inbox.glob("*.dsb") if p.is_file()) if inbox.is_dir() else []
    if not files:
        raise FirstRunError(
            _("U 盘上还没有县里发给本机的数据（应在 {path}）。请县里导出后再试。").format(
                path=inbox
            )
        )
    messages: list[str] = []
    applied = 0
    for number, path in enumerate(files):
        progress(number, len(files), _("正在导入 {name}…").format(name=path.name))
        report = import_bundles(db, [path])
        for outcome in report.outcomes:
            messages.append(outcome.message)
            if outcome.status == "refused":
                raise FirstRunError(outcome.message)
            applied += outcome.status == "applied"
            if outcome.path.parent == inbox:
                outcome.path.unlink(missing_ok=True)
    progress(len(files), len(files), "")
    with db.write_connection() as conn:
        put_setting(conn, LAST_STICK_KEY, str(stick))
    return ImportSummary(len(files), applied, tuple(messages), household_count(db))


def download_online(db: Database, server: str, progress: Progress) -> ImportSummary:
    from desktop.sync.client import sync_online

    def step(name: str, done: int, total: int) -> None:
        text_ = _("正在上传…") if name == "upload" else _("正在下载本村数据…")
        progress(done, total, text_)

    report = sync_online(db, server, step)
    if not report.synced:
        raise FirstRunError("\n".join(report.lines()))
    record_success(db, server)
    messages = tuple(o.message for o in report.imported.outcomes)
    applied = len(report.imported.by_status("applied"))
    return ImportSummary(len(report.imported.outcomes), applied, messages, household_count(db))


def household_count(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM household WHERE voided = 0")).scalar_one()
        )


# ------------------------------------------------------------------ the demo
def build_demo(
    state: SetupState,
    passphrase: str,
    households: int,
    seed: int,
    progress: Progress,
    cancelled: Callable[[], bool],
) -> Database:
    """Generate the demo county into the (encrypted) database; a cancel or a crash leaves the
    ``demo`` stage, and the next attempt starts again from nothing."""
    from desktop.core.demo import generate_demo

    state.mode, state.stage = "demo", "demo"
    db = create_database(state, passphrase)
    try:
        summary = generate_demo(
            db, households, seed, True, lambda done, total: progress(done, total, ""), cancelled
        )
        if summary.cancelled or cancelled():
            raise FirstRunError(_("已取消生成示范县。"))
        db.set_cadre(_("示范干部"))
    except BaseException:
        db.close()
        remove_database(state.path)
        raise
    return db
