"""Fixtures for the sync tests: a county with two enrolled laptops for one village.

Enrolling makes keys and databases, which takes most of a second; the setup is built once per
session and copied into each test's own folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from county.data import record_database
from county.store.copy import copy_store
from county.store.engine import sqlite_url
from tests.sync.network import Network, make_network, reopen_network


@pytest.fixture(scope="module")
def county_database() -> Callable[[], str] | None:
    """Where each test's county store lives: None for the SQLite file in the county folder.
    tests/county overrides it to run every county test on PostgreSQL as well."""
    return None


@pytest.fixture(scope="session")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("network-template")
    network = make_network(root, url=sqlite_url(root / "county" / "county.db"))
    network.laptop("A")
    network.laptop("B")
    network.close()
    return root


@pytest.fixture
def net(
    tmp_path: Path, network_template: Path, county_database: Callable[[], str] | None
) -> Iterator[Network]:
    root = tmp_path / "net"
    shutil.copytree(network_template, root)
    if county_database is not None:  # the same county, its store copied into a fresh database
        url = county_database()
        copy_store(sqlite_url(root / "county" / "county.db"), url)
        record_database(root / "county", url)
    network = reopen_network(root)
    yield network
    network.close()
