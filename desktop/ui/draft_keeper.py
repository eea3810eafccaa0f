"""Saves a form's typing to the draft table a couple of seconds after it changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from desktop.ui.context import AppContext
from desktop.ui.drafts import SAVE_DELAY_MS, discard_draft, save_draft


class DraftKeeper(QObject):
    """At most ``SAVE_DELAY_MS`` of typing is ever unsaved: the timer starts at the first
    unsaved change and is not pushed back by further typing."""

    def __init__(
        self,
        ctx: AppContext,
        key: str,
        kind: str,
        household_id: str | None,
        collect: Callable[[], dict[str, Any]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.key = key
        self.kind = kind
        self.household_id = household_id
        self.collect = collect
        self.dirty = False
        self.saved_once = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_DELAY_MS)
        self.timer.timeout.connect(self.save_now)

    def mark_dirty(self) -> None:
        self.dirty = True
        if not self.timer.isActive():
            self.timer.start()

    def save_now(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        self.timer.stop()
        payload = self.collect()
        db, key, kind, household = self.ctx.db, self.key, self.kind, self.household_id
        self.saved_once = True
        self.ctx.runner.submit(lambda: save_draft(db, key, kind, household, payload))

    def discard(self) -> None:
        """The form was saved or abandoned on purpose: forget the draft."""
        self.dirty = False
        self.timer.stop()
        db, key = self.ctx.db, self.key
        self.ctx.runner.submit(lambda: discard_draft(db, key))
