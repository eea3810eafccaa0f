"""One background worker for every database and file operation, results back on the GUI thread.

This is Anki's ``aqt.operations`` pattern (and Picard's ``run_task``): the GUI thread never waits
on SQLite or the disk. Work is queued to a single ``QThread``, so writes never race each other and
reads see a consistent order; each task's result or error is delivered through a queued signal
and handled by callbacks on the GUI thread.

A task submitted with a ``key`` supersedes queued or running tasks with the same key: typing in
the search box or scrolling quickly only pays for the last request. Long work receives a
``TaskContext`` to report progress and to notice cancellation.

``synchronous=True`` runs tasks inline (Picard's fake pool) for code that needs determinism
without a thread; the application always uses the real thread.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop.core.i18n import _

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05
#: How long a thread may hold the interpreter lock while another waits for it. Python's default
#: (5 ms) lets a busy worker make the GUI thread wait 5 ms for *each* call into Python while it
#: paints (every cell of a table is one); 1 ms keeps painting smooth during background work.
GIL_SWITCH_INTERVAL_S = 0.001


class Cancelled(Exception):
    """Raised inside a task that noticed it was cancelled; it is not reported as an error."""


@dataclass(eq=False)
class Task:
    fn: Callable[..., Any]
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_progress: Callable[[int, int, str], None] | None = None
    key: str | None = None
    label: str = ""
    wants_context: bool = False
    cancelled: bool = False
    started_at: float = 0.0
    finished: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled = True


class TaskContext:
    """What a long task sees: progress reporting (throttled) and the cancel flag."""

    def __init__(self, runner: TaskRunner, task: Task) -> None:
        self._runner = runner
        self._task = task
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._task.cancelled

    def check(self) -> None:
        if self._task.cancelled:
            raise Cancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or done >= total:
            self._last = now
            self._runner._emit_progress(self._task, done, total, text)


_STOP = object()


class _Worker(QThread):
    def __init__(self, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("doorstep-worker")
        self.runner = runner
        self.inbox: queue.Queue[Any] = queue.Queue()

    def run(self) -> None:
        while True:
            task = self.inbox.get()
            if task is _STOP:
                return
            self.runner._execute(task)


class TaskRunner(QObject):
    """The application's single worker. Create one, ``submit`` work, ``shutdown`` at exit."""

    _finished = Signal(object, bool, object)
    _progressed = Signal(object, int, int, str)
    busy_changed = Signal(bool)
    failed = Signal(str)  # errors nobody handled, as a sentence for a message box
    long_task_started = Signal(object)  # a Task with a label: show progress UI for it
    long_task_finished = Signal(object)

    def __init__(self, parent: QObject | None = None, synchronous: bool = False) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._lock = threading.Lock()
        self._pending: list[Task] = []
        self._latest: dict[str, Task] = {}
        self._finished.connect(self._deliver)
        self._progressed.connect(self._deliver_progress)
        self._worker: _Worker | None = None
        if not synchronous:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
            self._worker = _Worker(self)
            self._worker.start()

    # ------------------------------------------------------------------ submitting
    def submit(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        label: str = "",
        wants_context: bool = False,
    ) -> Task:
        """Queue ``fn()`` (or ``fn(context)`` with ``wants_context``) on the worker."""
        task = Task(fn, on_done, on_error, on_progress, key, label, wants_context)
        with self._lock:
            if key is not None:
                previous = self._latest.get(key)
                if previous is not None:
                    previous.cancel()
                self._latest[key] = task
            was_idle = not self._pending
            self._pending.append(task)
        if was_idle:
            self.busy_changed.emit(True)
        if label:
            self.long_task_started.emit(task)
        if self._worker is None:
            self._execute(task)
        else:
            self._worker.inbox.put(task)
        return task

    def is_busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Process events until every queued task has been delivered (tests, shutdown)."""
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout
        while self.is_busy():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents()
            time.sleep(0.002)
        QCoreApplication.processEvents()
        return True

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Let queued writes finish (a save must not be lost at exit), then stop the thread."""
        if self._worker is not None:
            self._worker.inbox.put(_STOP)
            self._worker.wait(timeout_ms)
            self._worker = None

    # ------------------------------------------------------------------ on the worker thread
    def _execute(self, task: Task) -> None:
        if task.cancelled:
            self._finished.emit(task, False, Cancelled())
            return
        task.started_at = time.monotonic()
        try:
            result = task.fn(TaskContext(self, task)) if task.wants_context else task.fn()
        except BaseException as exc:  # delivered to the GUI thread, never lost
            if not (isinstance(exc, Cancelled) or task.cancelled or _is_user_error(exc)):
                log.error("task %s failed:\n%s", task.label or task.fn, traceback.format_exc())
            self._finished.emit(task, False, exc)
        else:
            self._finished.emit(task, True, result)
        finally:
            task.finished.set()

    def _emit_progress(self, task: Task, done: int, total: int, text: str) -> None:
        self._progressed.emit(task, done, total, text)

    # ------------------------------------------------------------------ on the GUI thread
    def _deliver(self, task: Task, ok: bool, payload: Any) -> None:
        with self._lock:
            if task in self._pending:
                self._pending.remove(task)
            if task.key is not None and self._latest.get(task.key) is task:
                del self._latest[task.key]
            now_idle = not self._pending
        try:
            if task.label:
                self.long_task_finished.emit(task)
            if isinstance(payload, Cancelled) or task.cancelled:
                return
            if ok:
                if task.on_done is not None:
                    task.on_done(payload)
            elif task.on_error is not None:
                task.on_error(payload)
            else:
                self.failed.emit(describe_error(payload))
        finally:
            if now_idle:
                self.busy_changed.emit(False)

    def _deliver_progress(self, task: Task, done: int, total: int, text: str) -> None:
        if task.on_progress is not None and not task.cancelled:
            task.on_progress(done, total, text)


def _is_user_error(exc: BaseException) -> bool:
    from desktop.core.db import DatabaseError
    from desktop.core.services.errors import ServiceError

    return isinstance(exc, ServiceError | DatabaseError | OSError)


def describe_error(exc: BaseException) -> str:
    """A sentence for the cadre; programming errors are named as such, not hidden."""
    if _is_user_error(exc):
        return str(exc)
    return _("操作没有完成：程序出错（{kind}: {detail}）。已做的修改没有保存。").format(
        kind=type(exc).__name__, detail=exc
    )
