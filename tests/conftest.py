"""Shared fixtures: a real Doorstep database file per test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or write the developer's own preferences (e.g. a saved interface language).
os.environ["DOORSTEP_CONFIG_DIR"] = tempfile.mkdtemp(prefix="doorstep-config-")

from hypothesis import settings  # noqa: E402

from desktop.core.database import Database, open_database  # noqa: E402

# CI runs the property tests with a fixed seed, so a landing never depends on luck; developers
# get fresh examples on every run.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "doorstep.db")
    yield database
    database.close()


@pytest.fixture
def village(db: Database) -> str:
    """A county → township → village → group chain; returns the village code."""
    with db.unit_of_work(cadre="测试员") as uow:
        uow.insert_many(
            "region",
            [
                {"code": "520102000000", "name": "示范县", "level": "county"},
                {
                    "code": "520102001000",
                    "name": "红岩镇",
                    "level": "township",
                    "parent_code": "520102000000",
                },
                {
                    "code": "520102001001",
                    "name": "新寨村",
                    "level": "village",
                    "parent_code": "520102001000",
                },
                {
                    "code": "52010200100101",
                    "name": "一组",
                    "level": "group",
                    "parent_code": "520102001001",
                },
            ],
        )
    return "520102001001"
