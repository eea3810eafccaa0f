"""Background online sync: when to try, running one attempt off the GUI thread, and the state.

Every attempt runs ``desktop.sync.client.sync_online`` on its own short-lived thread (not the
app's worker: a slow or silent network would otherwise hold up every read and save behind it).
The database object is shared — its engine hands each thread its own SQLite connection and its
write lock serialises writers. Results come back through a queued signal to the GUI thread.

Schedule: an attempt at start, every few minutes while the server answers, shortly after saves
settle, and on 立即同步; after a failure, exponential backoff with jitter (retry_schedule).
Cancel (or quitting) sets an event the client checks between requests and chunks: the county
has either acknowledged a bundle or not, and unacknowledged bundles are sent again next time —
a cancel loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.queries.status import pending_change_count
from desktop.core.services.errors import ServiceError
from desktop.sync.client import OnlineReport, sync_online
from desktop.ui.context import AppContext
from desktop.ui.sync import online_state as st
from desktop.ui.sync.exchange_lock import exchange_turn
from desktop.ui.sync.online_settings import (
    OnlineFigures,
    OnlineSettings,
    load_figures,
    record_success,
    save_settings,
)
from desktop.ui.sync.retry_schedule import SETTLE_S, RetrySchedule
from desktop.ui.tasks import describe_error

log = logging.getLogger(__name__)

BUSY_RETRY_S = 30.0
STARTUP_DELAY_S = 3.0  # let the main window load its list before the first sync
PROGRESS_INTERVAL_S = 0.05


@dataclass
class Attempt:
    """What one attempt produced, handed from the sync thread to the GUI thread."""

    outcome: str
    message: str
    report: OnlineReport | None
    last_ok: str | None
    pending: int


def classify(report: OnlineReport) -> tuple[str, str]:
    """The attempt's outcome and the one sentence that explains it."""
    if report.synced:
        return st.SYNCED, _("已与县服务器同步完毕。")
    if report.cancelled:
        return st.CANCELLED, report.error or ""
    if report.unreachable:
        return st.UNREACHABLE, report.error or ""
    if report.error:
        return st.REFUSED, report.error
    refused = [u.message for u in report.uploads if u.status == "refused"]
    refused += [o.message for o in report.imported.by_status("refused")]
    if refused:
        return st.REFUSED, refused[0]
    held = [u.message for u in report.uploads if u.status == "held"]
    held += [o.message for o in report.imported.by_status("held")]
    return st.INCOMPLETE, held[0] if held else _("同步没有全部完成。")


class OnlineSyncer(QObject):
    """Owns the schedule and the sync thread; views listen to ``state_changed``."""

    state_changed = Signal(object)  # OnlineState
    progressed = Signal(str, int, int)  # step, done, total
    finished = Signal(object)  # Attempt, after every attempt
    imported = Signal()  # the county's changes were applied: views reload
    settings_failed = Signal(str)  # the address was not saved, and why
    _done = Signal(object)  # Attempt, from the sync thread
    _step = Signal(str, int, int)

    def __init__(
        self,
        ctx: AppContext,
        parent: QObject | None = None,
        schedule: RetrySchedule | None = None,
        settle_s: float = SETTLE_S,
        retries: int = 2,
        backoff: float = 0.5,
        startup_delay_s: float = STARTUP_DELAY_S,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.startup_delay_s = startup_delay_s
        self.schedule = schedule or RetrySchedule()
        self.retries, self.backoff = retries, backoff
        self.state = st.OnlineState()
        self.loaded = False
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._last_step = 0.0
        self._closing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.sync_now(automatic=True))
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(int(settle_s * 1000))
        self._settle.timeout.connect(self._after_saves)
        self._done.connect(self._on_done)
        self._step.connect(self.progressed)
        ctx.data_changed.connect(self._on_data_changed)

    # ------------------------------------------------------------------ state
    def _set(self, **changes: object) -> None:
        self.state = self.state.with_(**changes)
        self.state_changed.emit(self.state)

    def load(self) -> None:
        """Read the address, last success and pending count; the first attempt follows."""
        db = self.ctx.db
        self.ctx.runner.submit(lambda: load_figures(db), self._on_figures, key="online-figures")

    def _on_figures(self, figures: OnlineFigures) -> None:
        first = not self.loaded
        self.loaded = True
        # enrolled since the last attempt said it was not: no reason to wait for the period
        now_enrolled = figures.enrolled and self.state.outcome == st.NOT_ENROLLED
        self._set(
            server=figures.settings.server,
            auto=figures.settings.auto,
            last_ok=figures.last_ok,
            pending=figures.pending,
            enrolled=figures.enrolled,
        )
        if now_enrolled:
            self._set(outcome=st.NEVER, message="")
        if (first or now_enrolled) and self.state.auto and self.state.server:
            self._plan(self.startup_delay_s if first else 0.0)

    def save_settings(self, server: str, auto: bool) -> None:
        db = self.ctx.db

        def saved(settings: OnlineSettings) -> None:
            self._set(server=settings.server, auto=settings.auto, outcome=st.NEVER, message="")
            self.schedule.failures = 0
            if settings.server and settings.auto:
                self._plan(0.0)
            else:
                self._timer.stop()
                self._set(next_at=None)

        self.ctx.runner.submit(
            lambda: save_settings(db, OnlineSettings(server, auto)),
            saved,
            lambda exc: self.settings_failed.emit(describe_error(exc)),
        )

    # ------------------------------------------------------------------ scheduling
    def _plan(self, delay_s: float) -> None:
        if self._closing or not (self.state.auto and self.state.server):
            self._timer.stop()
            self._set(next_at=None)
            return
        self._timer.start(int(delay_s * 1000))
        self._set(next_at=time.time() + delay_s)

    def _on_data_changed(self, _changes: object) -> None:
        """A save: the pending count moved; sync it once saves have settled."""
        db = self.ctx.db
        self.ctx.runner.submit(
            lambda: pending_change_count(db),
            lambda n: self._set(pending=n),
            key="online-pending",
        )
        if self.state.auto and self.state.server:
            self._settle.start()

    def _after_saves(self) -> None:
        if self.is_running():
            self._settle.start()
            return
        due = self.state.next_at
        if self.schedule.failures and due is not None and due > time.time():
            return  # the server is failing: keep to the backoff, do not hammer it
        self._plan(0.0)

    # ------------------------------------------------------------------ running
    def is_running(self) -> bool:
        return self._thread is not None

    def sync_now(self, automatic: bool = False) -> bool:
        """Start one attempt now; False when one is already running or there is no address."""
        if self.is_running() or self._closing:
            return False
        if not self.state.server:
            self._set(outcome=st.REFUSED, message=_("请先填写县服务器地址。"))
            return False
        self._timer.stop()
        self._cancel = threading.Event()
        self._set(running=True, next_at=None)
        self.progressed.emit("connect", 0, 0)
        server, db, cancel = self.state.server, self.ctx.db, self._cancel
        thread = threading.Thread(
            target=self._work, args=(db, server, cancel), name="doorstep-online-sync", daemon=True
        )
        self._thread = thread
        thread.start()
        return True

    def cancel(self) -> None:
        self._cancel.set()

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Stop scheduling, cancel a running attempt and wait for it (app exit). True when no
        sync thread is left running."""
        self._closing = True
        self._timer.stop()
        self._settle.stop()
        self._cancel.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                return False
            self._thread = None
        return True

    def _progress(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        throttled = step in ("sending", "receiving") and done < total
        if throttled and now - self._last_step < PROGRESS_INTERVAL_S:
            return
        self._last_step = now
        self._step.emit(step, done, total)

    # ------------------------------------------------------------------ on the sync thread
    def _work(self, db: Database, server: str, cancel: threading.Event) -> None:
        try:
            attempt = self._attempt(db, server, cancel)
        except ServiceError as exc:  # a sentence for the cadre (e.g. the address is wrong)
            attempt = Attempt(st.REFUSED, str(exc), None, None, -1)
        except BaseException as exc:  # reported on screen, never lost in a thread
            log.exception("online sync failed")
            attempt = Attempt(st.REFUSED, describe_error(exc), None, None, -1)
        if not self._closing:  # after shutdown the receivers may be gone
            self._done.emit(attempt)

    def _attempt(self, db: Database, server: str, cancel: threading.Event) -> Attempt:
        figures = load_figures(db)
        if not figures.enrolled:
            return Attempt(st.NOT_ENROLLED, "", None, figures.last_ok, figures.pending)
        with exchange_turn() as ours:
            if not ours:
                return Attempt(st.BUSY, "", None, figures.last_ok, figures.pending)
            report = sync_online(
                db,
                server,
                progress=self._progress,
                retries=self.retries,
                backoff=self.backoff,
                cancel=cancel,
            )
        outcome, message = classify(report)
        last_ok = record_success(db, server) if outcome == st.SYNCED else figures.last_ok
        return Attempt(outcome, message, report, last_ok, pending_change_count(db))

    # ------------------------------------------------------------------ back on the GUI thread
    def _on_done(self, attempt: Attempt) -> None:
        self._thread = None
        pending = attempt.pending if attempt.pending >= 0 else self.state.pending
        self._set(
            running=False,
            outcome=attempt.outcome,
            message=attempt.message,
            last_ok=attempt.last_ok or self.state.last_ok,
            pending=pending,
            enrolled=attempt.outcome != st.NOT_ENROLLED,
        )
        if attempt.outcome == st.SYNCED:
            delay = self.schedule.after_success()
        elif attempt.outcome == st.BUSY:
            delay = BUSY_RETRY_S
        elif attempt.outcome in (st.CANCELLED, st.NOT_ENROLLED):
            delay = self.schedule.after_pause()
        else:
            delay = self.schedule.after_failure()
        self._plan(delay)
        report = attempt.report
        if report is not None and report.imported.by_status("applied"):
            self.imported.emit()
        self.finished.emit(attempt)
