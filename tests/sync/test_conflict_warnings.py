"""Resolving a conflict with a value that only warns: refused until the cadre confirms.

A member's ID number says female; one laptop set the gender to 男, the other cleared it. Keeping
男 is allowed (the cadre may know better than the number) but must be confirmed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from desktop.core.database import Database
from desktop.core.services.errors import ValidationFailed
from desktop.sync.conflicts import ConflictView, list_conflicts, resolve_conflict
from tests.sync.replicas import open_replicas, seed_households, seed_regions, ship

FEMALE_ID = "11010519491231002X"


def gender_conflict(tmp_path: Path) -> tuple[Database, Database, str, ConflictView]:
    a, b = open_replicas(tmp_path, 2)
    with a.unit_of_work() as uow:
        seed_regions(uow)
    [household] = seed_households(a, 1)
    with a.read() as conn:
        member = conn.execute(
            text("SELECT id FROM member WHERE household_id = :h AND relation = 'head'"),
            {"h": household},
        ).scalar_one()
    with a.unit_of_work() as uow:
        uow.update("member", member, {"id_number": FEMALE_ID, "gender": "F"})
    ship(a, b)
    with a.unit_of_work() as uow:  # warns (the number says female); saved as confirmed
        uow.update("member", member, {"gender": "M"})
    with b.unit_of_work() as uow:
        uow.update("member", member, {"gender": None})
    ship(a, b)
    ship(b, a)
    [conflict] = [c for c in list_conflicts(b) if c.field == "gender"]
    return a, b, member, conflict


def gender(db: Database, member: str) -> object:
    with db.read() as conn:
        return conn.execute(text("SELECT gender FROM member WHERE id = :m"), {"m": member}).scalar()


def resolves(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM change_log WHERE op = 'resolve'")).scalar_one()
        )


def test_a_value_that_only_warns_is_refused_unsaved_until_confirmed(tmp_path: Path) -> None:
    a, b, member, conflict = gender_conflict(tmp_path)
    assert "M" in (conflict.winner_value, conflict.loser_value)
    before = gender(b, member)

    with pytest.raises(ValidationFailed) as refused:
        resolve_conflict(b, conflict.id, "M", accept_warnings=False)
    assert refused.value.problems
    assert all(p.severity == "warning" for p in refused.value.problems)
    assert {p.field for p in refused.value.problems} == {"id_number"}
    assert gender(b, member) == before and resolves(b) == 0
    assert [c.id for c in list_conflicts(b)] == [conflict.id]  # still open

    change = resolve_conflict(b, conflict.id, "M", accept_warnings=True)
    assert gender(b, member) == "M" and resolves(b) == 1
    assert list_conflicts(b) == []
    ship(b, a)  # the decision travels and closes the conflict there too
    assert list_conflicts(a) == [] and gender(a, member) == "M"
    with a.read() as conn:
        assert (
            conn.execute(
                text("SELECT resolved_by_change FROM conflict WHERE id = :c"), {"c": conflict.id}
            ).scalar_one()
            == change
        )
    a.close()
    b.close()


def test_a_value_without_warnings_needs_no_confirmation(tmp_path: Path) -> None:
    a, b, member, conflict = gender_conflict(tmp_path)
    resolve_conflict(b, conflict.id, "F", accept_warnings=False)
    assert gender(b, member) == "F" and list_conflicts(b) == []
    a.close()
    b.close()


def test_errors_refuse_the_value_even_when_warnings_are_accepted(tmp_path: Path) -> None:
    a, b, member, conflict = gender_conflict(tmp_path)
    before = gender(b, member)
    with pytest.raises(ValidationFailed) as refused:
        resolve_conflict(b, conflict.id, "unknown", accept_warnings=True)
    assert any(p.severity == "error" and p.field == "gender" for p in refused.value.problems)
    assert gender(b, member) == before and resolves(b) == 0
    a.close()
    b.close()
