"""What a rule reports when a value is wrong.

A Problem carries a stable ascii ``code`` (for tests, filters, ``--json`` output and counting
findings across 40,000 members) and a Chinese ``message`` already passed through gettext that
says what is wrong and what to do, so every caller shows the same sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

Severity = Literal["error", "warning"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one value. Errors block a save; warnings ask a person to look."""

    code: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: list[Problem]) -> bool:
    """True when at least one problem is an error (warnings alone do not block a save)."""
    return any(p.severity == "error" for p in problems)


@dataclass(frozen=True, slots=True)
class Checked(Generic[T]):
    """A cleaned value with what was found on the way. ``value`` is None when nothing usable
    could be recovered (blank, or digits already lost); otherwise it is the normalised form,
    kept even when problems remain so the person fixing it sees what was read."""

    value: T | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)
