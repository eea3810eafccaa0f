"""One exchange at a time: online sync and the USB exchange both bundle this laptop's changes,
and two bundlers running at once could number two different bundles the same.

Neither side waits for the other (that would stall the app's one worker behind a slow network):
the USB exchange is refused with a sentence while an online sync runs, and the background sync
skips its turn while a USB exchange runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError

_LOCK = threading.Lock()


class ExchangeBusy(ServiceError):
    """Another exchange is running; nothing was done."""


@contextmanager
def exchange_turn(wait: float = 0.0) -> Iterator[bool]:
    """Yields True while holding the turn, False if another exchange has it."""
    got = _LOCK.acquire(timeout=wait) if wait > 0 else _LOCK.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            _LOCK.release()


@contextmanager
def usb_turn() -> Iterator[None]:
    with exchange_turn(wait=2.0) as got:
        if not got:
            raise ExchangeBusy(_("正在与县服务器在线同步，请等同步结束后再用 U 盘交换。"))
        yield
