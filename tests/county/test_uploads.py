"""Resumable uploads over real HTTP: a connection cut in the middle of a chunk, and the server
killed (SIGKILL) in the middle of an upload; both resume from what the server holds and apply
the bundle exactly once. Plus the protocol's refusals (in-process)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from county.server import create_app
from desktop.core.database import Database
from desktop.sync import keys as keyring
from desktop.sync.client import Connection, device_signer, sync_online, upload_bundle
from desktop.sync.exchange import export_bundles
from tests.county.live_server import free_port, serving
from tests.county.store_counts import county_changes, county_rows
from tests.county.test_server_sigkill import server_process
from tests.sync.conftest import net, network_template  # noqa: F401  (fixtures)
from tests.sync.network import Network
from tests.sync.replicas import seed_households
from tests.sync.test_usb import add_photo

CHUNK = 128 << 10


def big_bundle(laptop: Database, size: int = 1 << 20) -> Path:
    """A bundle of about ``size`` bytes: one household and a photo of random bytes."""
    [household] = seed_households(laptop, 1)
    add_photo(laptop, household, os.urandom(size))
    bundle = export_bundles(laptop).new_bundle
    assert bundle is not None and bundle.size > size
    return bundle.path


def connection(url: str, laptop: Database) -> Connection:
    conn = Connection(url, retries=6, backoff=0.2)
    conn.signer = device_signer(keyring.device_keys(laptop, create=False))
    conn.resumable_from, conn.chunk_size = 1, CHUNK
    return conn


class CuttingProxy:
    """A loopback TCP proxy that cuts the first ``cuts`` connections after ``after`` bytes from
    the client, as a flaky village line does; counts the bytes it passed to the server."""

    def __init__(self, upstream_port: int, after: int, cuts: int) -> None:
        self.upstream, self.after, self.cuts = upstream_port, after, cuts
        self.forwarded = 0
        self.cut = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(("127.0.0.1", self.upstream))
        with self.lock:
            cutting = self.cut < self.cuts
            if cutting:
                self.cut += 1
        threading.Thread(target=self._pipe, args=(server, client, None), daemon=True).start()
        self._pipe(client, server, self.after if cutting else None)

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := src.recv(65536):
                if limit is not None and passed + len(data) > limit:
                    dst.sendall(data[: limit - passed])
                    self._count(dst, limit - passed)
                    break
                dst.sendall(data)
                passed += len(data)
                self._count(dst, len(data))
        except OSError:
            pass
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _count(self, dst: socket.socket, n: int) -> None:
        if dst.getpeername()[1] == self.upstream:
            with self.lock:
                self.forwarded += n

    def close(self) -> None:
        self.sock.close()


def test_a_connection_cut_mid_chunk_resumes_where_the_server_got_to(
    net: Network,  # noqa: F811
) -> None:
    a = net.laptops["A"]
    path = big_bundle(a)
    size = path.stat().st_size
    before = county_changes(net.county.root)
    with serving(create_app(net.county.root)) as url:
        port = int(url.rsplit(":", 1)[1])
        proxy = CuttingProxy(port, after=CHUNK * 3 + 5000, cuts=2)
        conn = connection(f"http://127.0.0.1:{proxy.port}", a)
        seen: list[int] = []
        conn.on_bytes = lambda held, total: seen.append(held)
        try:
            result = upload_bundle(conn, path)
        finally:
            conn.close()
            proxy.close()
        assert proxy.cut == 2
        assert result.status == "applied", result.message
        # a piece cut in the middle is kept up to where it broke: the next one starts there
        assert any(held % CHUNK for held in seen[:-1]), seen
        assert seen[-1] == size
        assert proxy.forwarded < size * 1.2  # never started again from zero
        assert county_changes(net.county.root) > before
        again = sync_online(a, url)  # the county acknowledges it; nothing is applied twice
        assert again.synced and [u.status for u in again.uploads] == ["duplicate"]


def spawn(data: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "county.cli", "serve", "--data", str(data)]
    return subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_server_killed_mid_upload_resumes_after_restart(net: Network) -> None:  # noqa: F811
    a = net.laptops["A"]
    path = big_bundle(a, 2 << 20)
    data = net.county.root
    net.county.close()
    port = free_port()
    later: list[subprocess.Popen[bytes]] = []
    killed_at: list[int] = []
    with server_process(data, port) as first:
        conn = connection(f"http://127.0.0.1:{port}", a)
        conn.retries, conn.backoff = 8, 0.3

        def kill_once(held: int, total: int) -> None:
            if held > total // 3 and not killed_at:
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                killed_at.append(held)
                later.append(spawn(data, port))  # back while the laptop is retrying

        conn.on_bytes = kill_once
        try:
            result = upload_bundle(conn, path)
        finally:
            conn.close()
            for process in later:
                process.kill()
                process.wait(10)
    assert killed_at, "the server was never killed"
    assert result.status == "applied", result.message
    assert county_rows(data, "photo") == 1
    assert list((data / "tmp" / "uploads").glob("*/*.dsb")) == []  # the part file is gone


@contextmanager
def client_for(net: Network) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(net.county.root, max_upload=4 << 20)) as client:
        yield client


def signed(laptop: Database, method: str, path: str, query: dict[str, int] | None = None) -> dict:
    sign = device_signer(keyring.device_keys(laptop, create=False))
    return sign(method, path, query or {}, time.time())


def test_the_protocol_refuses_what_it_must_and_completes_once(
    net: Network,  # noqa: F811
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    seed_households(a, 1)
    path = export_bundles(a).new_bundle.path  # type: ignore[union-attr]
    body = path.read_bytes()
    announce = {"name": path.name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    before = county_changes(net.county.root)
    with client_for(net) as client:
        unsigned = client.post("/uploads", json=announce)
        assert unsigned.status_code == 401 and "签名" in unsigned.json()["detail"]
        huge = client.post(
            "/uploads", json={**announce, "size": 5 << 20}, headers=signed(a, "POST", "/uploads")
        )
        assert huge.status_code == 413
        start = client.post("/uploads", json=announce, headers=signed(a, "POST", "/uploads"))
        assert start.status_code == 201 and start.json()["offset"] == 0
        upload = f"/uploads/{start.json()['upload_id']}"
        same = client.post("/uploads", json=announce, headers=signed(a, "POST", "/uploads"))
        assert same.json()["upload_id"] == start.json()["upload_id"]  # idempotent start
        stranger = client.get(upload, headers=signed(b, "GET", upload))
        assert stranger.status_code == 403

        def put(offset: int, data: bytes) -> httpx.Response:
            query = {"offset": offset}
            return client.put(
                upload, params=query, content=data, headers=signed(a, "PUT", upload, query)
            )

        assert put(0, body[:100]).json()["offset"] == 100
        wrong = put(50, body[50:200])
        assert wrong.status_code == 409 and wrong.json()["offset"] == 100
        too_much = put(100, body[100:] + b"extra bytes")
        assert too_much.status_code == 413
        assert client.get(upload, headers=signed(a, "GET", upload)).json()["offset"] == 100
        early = client.post(f"{upload}/complete", headers=signed(a, "POST", f"{upload}/complete"))
        assert early.status_code == 409
        damaged = bytes([body[100] ^ 1]) + body[101:]
        assert put(100, damaged).json()["offset"] == len(body)
        bad = client.post(f"{upload}/complete", headers=signed(a, "POST", f"{upload}/complete"))
        assert bad.status_code == 422 and "校验值不符" in bad.json()["detail"]
        assert county_changes(net.county.root) == before  # nothing applied
        assert client.get(upload, headers=signed(a, "GET", upload)).json()["offset"] == 0
        assert put(0, body).json()["offset"] == len(body)
        done = client.post(f"{upload}/complete", headers=signed(a, "POST", f"{upload}/complete"))
        assert done.status_code == 200 and done.json()["status"] == "applied"
        applied = county_changes(net.county.root)
        assert applied > before
        twice = client.post(f"{upload}/complete", headers=signed(a, "POST", f"{upload}/complete"))
        assert twice.json() == done.json()  # the same answer, nothing applied twice
        assert county_changes(net.county.root) == applied


def test_download_requests_must_be_signed_fresh_and_by_the_device(
    net: Network,  # noqa: F811
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    path = f"/devices/{b.device_id}/bundle"
    with client_for(net) as client:
        assert client.get(path).status_code == 401
        stale = device_signer(keyring.device_keys(b, create=False))("GET", path, {}, 1e9)
        refused = client.get(path, headers=stale)
        assert refused.status_code == 401 and "时钟" in refused.json()["detail"]
        others = client.get(path, headers=signed(a, "GET", path))
        assert others.status_code == 403 and "本机自己" in others.json()["detail"]
        headers = signed(b, "GET", path, {"cursor": 0})
        tampered = client.get(path, params={"cursor": 5}, headers=headers)
        assert tampered.status_code == 403 and "签名无效" in tampered.json()["detail"]
        good = client.get(path, params={"cursor": 0}, headers=headers)
        assert good.status_code in (200, 204)
        replay = client.get(path, params={"cursor": 0}, headers=headers)
        assert replay.status_code == 403 and "重放" in replay.json()["detail"]


def test_a_replay_is_refused_by_another_worker_process_too(net: Network) -> None:  # noqa: F811
    """``serve --workers`` runs several apps over one county folder: they share what was used."""
    b = net.laptops["B"]
    path = f"/devices/{b.device_id}/bundle"
    headers = signed(b, "GET", path)
    with client_for(net) as first, client_for(net) as second:
        assert first.get(path, headers=headers).status_code in (200, 204)
        replay = second.get(path, headers=headers)
        assert replay.status_code == 403 and "重放" in replay.json()["detail"]
        assert second.get(path, headers=signed(b, "GET", path)).status_code in (200, 204)
