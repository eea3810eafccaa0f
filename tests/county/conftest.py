"""Every county test runs twice: on the embedded SQLite default and on a real PostgreSQL.

PostgreSQL comes from ``DOORSTEP_TEST_PG_URL`` (a server URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; ``.ci/run`` starts a private cluster
and sets it). Each county gets a database of its own, dropped at the end of the session. Without
the variable the PostgreSQL half is skipped on a developer's machine — and fails under CI, where
a county test that silently ran on SQLite only would prove nothing about production.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from county.data import County

PG_ENV = "DOORSTEP_TEST_PG_URL"


class PostgresDatabases:
    """Fresh, empty databases on one test server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made: list[str] = []
        with self._admin():
            pass  # reachable, or the fixture reports why not

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True, connect_timeout=5)

    def fresh(self) -> str:
        name = f"doorstep_test_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with self._admin() as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the county on PostgreSQL: {PG_ENV} is not set")
        yield None
        return
    try:
        databases = PostgresDatabases(url)
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ENV} is not reachable: {exc}")
        yield None
        return
    yield databases
    databases.drop_all()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"], autouse=True)
def county_database(
    request: pytest.FixtureRequest, postgres: PostgresDatabases | None
) -> Iterator[Callable[[], str] | None]:
    """None on SQLite; on PostgreSQL a maker of fresh databases, which every county this module
    creates without naming a database (``County.init``, ``doorstep-county init``) is given."""
    if request.param == "sqlite":
        yield None
        return
    if postgres is None:
        pytest.skip(f"PostgreSQL not available (set {PG_ENV})")
    made = postgres
    original = County.init.__func__  # type: ignore[attr-defined]

    def init(cls: type[County], root: Path, name: str = "", url: str | None = None) -> County:
        return original(cls, root, name, url or made.fresh())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(County, "init", classmethod(init))
        yield made.fresh
