"""Row ids are random version-4 UUIDs in their canonical text form (laptops create rows offline
and must never collide); new_id formats them itself, so check it is exactly that form."""

from __future__ import annotations

import uuid

from desktop.core.models.base import new_id


def test_new_ids_are_canonical_random_uuids() -> None:
    made = [new_id() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    for text in made[:2_000]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    # every hex digit outside the fixed version/variant bits varies
    assert {t[14] for t in made} == {"4"}
    assert {t[19] for t in made} == set("89ab")
    assert len({t[0] for t in made}) == 16
