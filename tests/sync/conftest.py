"""Fixtures for the sync tests: a county with two enrolled laptops for one village.

Enrolling makes keys and databases, which takes most of a second; the setup is built once per
session and copied into each test's own folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.network import Network, make_network, reopen_network


@pytest.fixture(scope="session")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("network-template")
    network = make_network(root)
    network.laptop("A")
    network.laptop("B")
    network.close()
    return root


@pytest.fixture
def net(tmp_path: Path, network_template: Path) -> Iterator[Network]:
    root = tmp_path / "net"
    shutil.copytree(network_template, root)
    network = reopen_network(root)
    yield network
    network.close()
