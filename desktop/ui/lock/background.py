"""One passphrase check at a time on its own thread, the answer back on the GUI thread.

Why not the application's worker: a passphrase check must answer even while the worker is busy
for minutes (printing a village's book), or the cadre would stand at a locked laptop waiting for
a print job to finish before being let back in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class KeyCheck(QObject):
    _finished = Signal(object, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._finished.connect(self._deliver)
        self.busy = False

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> bool:
        """Start ``fn`` unless a check is already running; False when one is."""
        if self.busy:
            return False
        self.busy = True
        callbacks = (on_done, on_error)

        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:  # delivered to the GUI thread as the answer
                self._finished.emit(callbacks, False, exc)
            else:
                self._finished.emit(callbacks, True, result)

        threading.Thread(target=work, name="doorstep-key-check", daemon=True).start()
        return True

    def _deliver(self, callbacks: Any, ok: bool, payload: Any) -> None:
        self.busy = False
        on_done, on_error = callbacks
        if ok:
            on_done(payload)
        else:
            on_error(payload)

    def wait(self, timeout: float = 30.0) -> bool:
        """Process events until the running check has answered (tests, closing)."""
        import time

        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        QCoreApplication.processEvents()
        return not self.busy


def error_text(exc: BaseException) -> str:
    from desktop.ui.tasks import describe_error

    return describe_error(exc)
