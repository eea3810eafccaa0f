"""Undo for the last changes: undoing is a new change that restores the previous values.

Nothing is rolled back behind the change log's back: an undo goes through the unit of work like
any edit (so it syncs, and the history shows both the edit and its undo). To know the previous
values, operations run against a ``RecordingWork`` that notes each row's values before the
services change them. Rows that an operation created are voided (tombstoned) on undo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.core.i18n import _
from desktop.core.services import households as household_services
from desktop.core.services.uow import UnitOfWork

MAX_UNDO = 30


@dataclass(frozen=True)
class Step:
    op: str  # insert | update
    table: str
    row_id: str
    before: dict[str, Any] = field(default_factory=dict)


class RecordingWork:
    """Wraps a UnitOfWork for one operation and records what undoing it needs."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.steps: list[Step] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        row_id = self._uow.insert(table, values)
        self.steps.append(Step("insert", table, row_id))
        return row_id

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> list[str]:
        ids = self._uow.insert_many(table, rows)
        self.steps.extend(Step("insert", table, row_id) for row_id in ids)
        return ids

    def update(
        self,
        table: str,
        row_id: str,
        values: Mapping[str, Any],
        base: Mapping[str, str] | None = None,
    ) -> tuple[str, ...]:
        before = self._uow.get(table, row_id)
        changed = self._uow.update(table, row_id, values, base)
        if changed:
            self.steps.append(Step("update", table, row_id, {f: before[f] for f in changed}))
        return changed

    def void(self, table: str, row_id: str, reason: str) -> None:
        before = self._uow.get(table, row_id)
        self._uow.void(table, row_id, reason)
        self.steps.append(
            Step(
                "update",
                table,
                row_id,
                {"voided": before["voided"], "void_reason": before["void_reason"]},
            )
        )


def undo_steps(uow: UnitOfWork, steps: list[Step]) -> None:
    """Apply the reverse of ``steps`` as new changes (newest first)."""
    touched: set[str] = set()
    for step in reversed(steps):
        row = uow.get(step.table, step.row_id)
        if step.op == "insert":
            if not row["voided"]:
                uow.void(step.table, step.row_id, _("撤销"))
        else:
            uow.update(step.table, step.row_id, step.before)
        if step.table == "member":
            touched.add(row["household_id"])
    for household_id in touched:
        household_services.refresh_summary(uow, household_id)


@dataclass
class UndoEntry:
    label: str
    steps: list[Step]


class UndoStack:
    """The last few operations of this session, newest last."""

    def __init__(self, limit: int = MAX_UNDO) -> None:
        self.limit = limit
        self.entries: list[UndoEntry] = []

    def push(self, label: str, steps: list[Step]) -> None:
        if steps:
            self.entries.append(UndoEntry(label, steps))
            del self.entries[: -self.limit]

    def can_undo(self) -> bool:
        return bool(self.entries)

    def peek(self) -> UndoEntry | None:
        return self.entries[-1] if self.entries else None

    def pop(self) -> UndoEntry | None:
        return self.entries.pop() if self.entries else None
