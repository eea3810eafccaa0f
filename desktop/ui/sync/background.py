"""Run one network-bound job on its own thread, with progress and the result on the GUI thread.

For work that waits on the network and does not touch the laptop's database (the township
relay): it must not sit on the app's one worker, where it would hold up every read and save.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]


class BackgroundJob(QObject):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self.succeeded.connect(self._clear)
        self.failed.connect(self._clear)

    def running(self) -> bool:
        return self._thread is not None

    def start(self, fn: Callable[[ProgressFn], Any], name: str = "doorstep-job") -> bool:
        """Run ``fn(progress)``; False if a job is already running."""
        if self._thread is not None:
            return False

        def run() -> None:
            try:
                result = fn(lambda done, total, text: self.progressed.emit(done, total, text))
            except BaseException as exc:  # shown to the person who started it
                log.info("%s failed: %s", name, exc)
                self.failed.emit(exc)
            else:
                self.succeeded.emit(result)

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout_s: float = 30.0) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def _clear(self, _payload: object) -> None:
        self._thread = None
