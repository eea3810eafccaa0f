"""The stock tools read our bundles: ``age -d`` decrypts them, ``minisign -V`` checks them."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from desktop.sync import keys as keyring
from tests.sync.network import Network
from tests.sync.replicas import seed_households

pytestmark = pytest.mark.skipif(
    not (shutil.which("age") and shutil.which("minisign")), reason="stock age/minisign missing"
)


def stock_open(bundle: Path, identity_file: Path, folder: Path) -> Path:
    """Decrypt with ``age -d`` and unpack the zip; returns the folder holding the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = folder / "payload.zip"
    subprocess.run(
        ["age", "-d", "-i", str(identity_file), "-o", str(payload), str(bundle)], check=True
    )
    with zipfile.ZipFile(payload) as archive:
        archive.extractall(folder)
    return folder


def stock_verify(folder: Path, pub_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["minisign", "-V", "-p", str(pub_file), "-m", str(folder / "manifest.json")],
        capture_output=True,
        text=True,
    )


def test_stock_age_and_minisign_accept_an_up_bundle(net: Network, tmp_path: Path) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    [bundle] = net.export("A")
    folder = stock_open(bundle, net.county.root / "county-age.key", tmp_path / "up")
    manifest_data = json.loads((folder / "manifest.json").read_text())
    lines = (folder / "changes.jsonl").read_bytes().count(b"\n")
    assert lines == manifest_data["counts"]["changes"] > 0
    pub = tmp_path / "device.pub"
    pub.write_text(keyring.device_keys(a).signing.public_key.pub_file_text())
    checked = stock_verify(folder, pub)
    assert checked.returncode == 0, checked.stderr
    assert "Signature and comment signature verified" in checked.stdout + checked.stderr
    # and the stock tool notices a changed manifest
    manifest = folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"kind": "up"', b'"kind": "UP"'))
    assert stock_verify(folder, pub).returncode != 0
    # another device's key is not this one
    other = tmp_path / "other.pub"
    other.write_text(keyring.device_keys(net.laptops["B"]).signing.public_key.pub_file_text())
    assert stock_verify(folder, other).returncode != 0


def test_stock_tools_accept_a_down_bundle(net: Network, tmp_path: Path) -> None:
    seed_households(net.laptops["A"], 1)
    net.apply(net.export("A"))
    b = net.laptops["B"]
    [bundle] = net.outbox()[b.device_id]
    identity = tmp_path / "b.key"
    identity.write_text(keyring.device_keys(b).age_identity + "\n")
    identity.chmod(0o600)
    folder = stock_open(bundle, identity, tmp_path / "down")
    checked = stock_verify(folder, net.county.root / "county.pub")
    assert checked.returncode == 0, checked.stderr
    # the county's own identity cannot open what was encrypted to B
    failed = subprocess.run(
        ["age", "-d", "-i", str(net.county.root / "county-age.key"), str(bundle)],
        capture_output=True,
    )
    assert failed.returncode != 0
