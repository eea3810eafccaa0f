"""What a data check reports, and the context every check reads.

Checks are pure functions over plain dicts (a household, its current members, its incomes), so
the same code runs on rows loaded in bulk from the database, on a form being saved, and in tests
on values the services would refuse to store (a bad ID checksum, 13 months of work).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desktop.core.rules.rulefile import Rules

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a person should fix or look at, in one household (and maybe one member)."""

    household_id: str
    member_id: str | None
    rule: str
    severity: str
    field: str | None
    message: str
    household_number: str = ""
    member_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The stable shape of ``doorstep check --json``."""
        return {
            "household_id": self.household_id,
            "household_number": self.household_number,
            "member_id": self.member_id,
            "member_name": self.member_name,
            "rule": self.rule,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Where an ID number is registered: for the 'same person in two households' check."""

    household_id: str
    household_number: str
    member_id: str
    name: str


@dataclass
class CheckContext:
    """What the checks need beyond the household itself.

    ``helped`` (households with a current 帮扶责任人) and ``last_visits`` (household → date of
    the latest visit) are None when unknown, and then those checks are skipped; ``registry``
    maps an ID number's 18-digit form to every current member who carries it."""

    rules: Rules
    today: date
    helped: frozenset[str] | set[str] | None = None
    last_visits: Mapping[str, date] | None = None
    registry: Mapping[str, list[PersonRef]] = field(default_factory=dict)


class Sink:
    """Collects findings for one household, applying the county's switches and severities."""

    __slots__ = ("rules", "household", "found")

    def __init__(self, rules: Rules, household: Row) -> None:
        self.rules = rules
        self.household = household
        self.found: list[Finding] = []

    def add(
        self,
        rule: str,
        field: str | None,
        message: str,
        member: Row | None = None,
        severity: str | None = None,
    ) -> None:
        if rule in self.rules.disabled:
            return
        override = self.rules.severity_overrides.get(rule)
        self.found.append(
            Finding(
                household_id=str(self.household["id"]),
                member_id=str(member["id"]) if member is not None else None,
                rule=rule,
                severity=override or severity or self.rules.severity(rule),
                field=field,
                message=message,
                household_number=str(self.household.get("number") or ""),
                member_name=member.get("name") if member is not None else None,
            )
        )
