"""The server killed (SIGKILL) while applying a bundle: after a restart the bundle is either fully
applied or not at all, and the laptop's next online sync completes it."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from desktop.sync.client import sync_online
from desktop.sync.exchange import export_bundles
from tests.county.live_server import free_port
from tests.county.store_counts import county_changes
from tests.sync.network import make_network
from tests.sync.replicas import seed_households

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


@contextmanager
def server_process(data: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "county.cli", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def changes(data: Path) -> int:
    return county_changes(data)


def upload(url: str, bundle: Path) -> float:
    started = time.monotonic()
    response = httpx.post(
        f"{url}/bundles", params={"name": bundle.name}, content=bundle.read_bytes(), timeout=60
    )
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_sigkill_mid_apply_is_all_or_nothing(tmp_path: Path) -> None:
    network = make_network(tmp_path / "net")
    laptop = network.laptop("A")
    seed_households(laptop, 300)
    bundle = export_bundles(laptop).new_bundle
    assert bundle is not None
    size = int(bundle.manifest["counts"]["changes"])
    data = network.county.root
    network.county.close()
    before = changes(data)

    # how long one apply takes, on a copy of the county
    trial = tmp_path / "trial"
    shutil.copytree(data, trial)
    port = free_port()
    with server_process(trial, port):
        duration = upload(f"http://127.0.0.1:{port}", bundle.path)
    assert changes(trial) == before + size

    # apply dominates an upload of 1,800 changes, so these points fall inside it (a kill past the
    # end would find the bundle whole, which the invariant allows too)
    for fraction in (0.6, 0.85, 0.97):
        with server_process(data, port) as process:
            thread = threading.Thread(
                target=lambda: _swallow(lambda: upload(f"http://127.0.0.1:{port}", bundle.path))
            )
            thread.start()
            time.sleep(duration * fraction)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            thread.join(30)
        after = changes(data)
        assert after in (before, before + size), (fraction, after - before)  # never half of it

    with server_process(data, port):
        report = sync_online(laptop, f"http://127.0.0.1:{port}")
    assert report.synced, report.lines()
    assert [u.status for u in report.uploads] in (["applied"], ["duplicate"])
    assert changes(data) == before + size
    assert not list((data / "tmp" / "server").glob("up-*"))  # a restart cleared what kills left
    laptop.close()


def _swallow(call: Callable[[], object]) -> None:
    with contextlib.suppress(httpx.TransportError, AssertionError):
        call()  # the server dies under the request, as intended
