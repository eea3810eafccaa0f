"""``doorstep-county serve`` as the operator runs it: a real process, JSON-line logs on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from county.data import County
from tests.county.live_server import free_port


def test_serve_runs_the_county_and_logs_json_lines(tmp_path: Path) -> None:
    data = tmp_path / "county"
    County.init(data, "示范县").close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "county.cli", "serve", "--data", str(data), "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["county"] == "示范县"
        token = data / "admin-token"  # a folder from before the token: serve makes one
        assert token.is_file() and token.stat().st_mode & 0o077 == 0  # a secret: owner only
        devices = f"http://127.0.0.1:{port}/devices"
        assert httpx.get(devices, timeout=5).status_code == 401
        bearer = {"Authorization": f"Bearer {token.read_text().strip()}"}
        assert httpx.get(devices, headers=bearer, timeout=5).json() == []
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=20)
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [e for e in events if e["event"] == "request" and e["path"] == "/health"]
    assert requests and requests[0]["status"] == 200 and "ms" in requests[0]
    assert any(e["event"] == "county server started" for e in events)


def test_serve_with_several_worker_processes_shares_one_database(tmp_path: Path) -> None:
    """``--workers 2``: uvicorn's processes each open the folder's database (the PostgreSQL one
    when the county was made on it) and answer from the same data."""
    data = tmp_path / "county"
    County.init(data, "示范县").close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "county.cli", "serve", "--data", str(data), "--port", str(port)]
        + ["--workers", "2"],
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, "server exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        answers = {httpx.get(f"http://127.0.0.1:{port}/health").json()["county"] for _ in range(6)}
        assert health.status_code == 200 and answers == {"示范县"}
        bearer = {"Authorization": f"Bearer {(data / 'admin-token').read_text().strip()}"}
        for _ in range(4):  # whichever worker answers knows the one token
            assert httpx.get(f"http://127.0.0.1:{port}/devices", headers=bearer).json() == []
    finally:
        process.terminate()
        process.wait(20)
