"""Errors the services raise. Each carries sentences a cadre can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field, and how bad it is."""

    field: str
    message: str
    severity: str = "error"  # error | warning
    code: str = ""


class ServiceError(Exception):
    """A refused operation; ``str()`` is a sentence for the user."""


class ValidationFailed(ServiceError):
    """Invalid values: nothing was written."""

    def __init__(self, table: str, problems: list[FieldProblem]) -> None:
        self.table = table
        self.problems = problems
        super().__init__("；".join(f"{p.field}: {p.message}" for p in problems))


class NotFound(ServiceError):
    pass
