"""Every bad upload the issue lists gets a 4xx with a Chinese reason and changes nothing; held
bundles, downloads for strangers, enrollment codes and conflicts through the HTTP API.

The HTTP stack itself is not the point here, so these use FastAPI's TestClient (in-process)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from county.enrollment import revoke
from county.server import create_app
from desktop.sync import keys as keyring
from desktop.sync.bundle import SIGNATURE
from desktop.sync.client import device_signer
from desktop.sync.exchange import import_bundles
from tests.county.codes import admin, issue
from tests.sync.conftest import net, network_template  # noqa: F401  (fixtures)
from tests.sync.network import Network, make_network
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households
from tests.sync.test_exchange import county_counts, repack, unpack


@pytest.fixture
def client(net: Network) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(net.county.root, max_upload=64 << 10)) as client:
        yield client


def upload(client: TestClient, path: Path) -> dict[str, object]:
    response = client.post("/bundles", params={"name": path.name}, content=path.read_bytes())
    body = response.json()
    body["_status"] = response.status_code
    return body


def download(client: TestClient, laptop: Any, params: dict[str, int] | None = None) -> Any:
    """The laptop's own download request, signed with its key as the online sync signs it."""
    path = f"/devices/{laptop.device_id}/bundle"
    sign = device_signer(keyring.device_keys(laptop, create=False))
    return client.get(path, params=params, headers=sign("GET", path, params or {}, time.time()))


def refused(net: Network, client: TestClient, path: Path, code: int, fragment: str) -> str:  # noqa: F811
    before = county_counts(net.county)
    body = upload(client, path)
    assert body["_status"] == code, body
    detail = str(body["detail"])
    assert fragment in detail and detail.endswith("。"), detail
    assert county_counts(net.county) == before  # nothing applied
    return detail


def test_malformed_and_empty_uploads(net: Network, client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    junk = tmp_path / "junk.dsb"
    junk.write_bytes(b"this is not a bundle at all" * 10)
    refused(net, client, junk, 422, "")
    empty = client.post("/bundles", content=b"")
    assert empty.status_code == 400 and "空" in empty.json()["detail"]


def test_oversized_uploads_are_refused_declared_or_streamed(
    net: Network,  # noqa: F811
    client: TestClient,
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.dsb"
    big.write_bytes(b"\0" * (65 << 10))
    refused(net, client, big, 413, "上限")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for _ in range(80):
            yield b"\0" * 1024

    response = client.post("/bundles", content=chunks())
    assert response.status_code == 413 and "上限" in response.json()["detail"]
    assert not list((net.county.work_dir / "server").glob("up-*"))  # temporary files removed


def test_unsigned_bundle(net: Network, client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    seed_households(net.laptops["A"], 1)
    [bundle] = net.export("A")
    files = unpack(net, bundle)
    del files[SIGNATURE]
    unsigned = repack(net, files, tmp_path / bundle.name, None)
    refused(net, client, unsigned, 422, "拒收")


def test_revoked_device(net: Network, client: TestClient) -> None:  # noqa: F811
    a = net.laptops["A"]
    seed_households(a, 1)
    [bundle] = net.export("A")
    revoke(net.county, a.device_id, "电脑丢失")
    refused(net, client, bundle, 422, "已被吊销")
    down = download(client, a)
    assert down.status_code == 403 and "吊销" in down.json()["detail"]


def test_unknown_device(net: Network, client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    stranger = make_network(tmp_path / "other")
    try:
        other = stranger.laptop("X")
        seed_households(other, 1)
        cert = keyring.certificate(other)
        assert cert is not None
        forged = dict(cert, county_recipient=net.county.age_recipient)
        with other.write_connection() as conn:
            conn.execute(
                text("UPDATE setting SET value = :v WHERE key = 'sync:certificate'"),
                {"v": json.dumps(forged)},
            )
        [bundle] = stranger.export("X")
        refused(net, client, bundle, 422, "未登记的设备")
        down = download(client, other)
        assert down.status_code == 403 and "没有在县里登记" in down.json()["detail"]
    finally:
        stranger.close()
    assert client.get("/devices/..%2F..%2Fetc/bundle").status_code in (401, 404)


def test_wrong_village(net: Network, client: TestClient) -> None:  # noqa: F811
    a = net.laptops["A"]
    seed_households(a, 1)
    seed_households(a, 1, village=OTHER_VILLAGE, start=5)
    [bundle] = net.export("A")
    refused(net, client, bundle, 422, "无权修改")


def test_held_until_the_gap_closes_then_both_applied(net: Network, client: TestClient) -> None:  # noqa: F811
    a = net.laptops["A"]
    seed_households(a, 1)
    [first] = net.export("A")
    seed_households(a, 1, start=2)
    [second] = net.export("A")
    held = upload(client, second)
    assert held["_status"] == 202 and held["status"] == "held"
    done = upload(client, first)
    assert done["_status"] == 200 and done["status"] == "applied"
    assert len(done["also_applied"]) == 1  # type: ignore[arg-type]
    devices = {d["device_id"]: d for d in client.get("/devices", headers=admin(net.county)).json()}
    assert devices[a.device_id]["held"] == 0 and devices[a.device_id]["bundles_applied"] == 2
    assert devices[a.device_id]["last_contact"]


def test_download_is_the_devices_villages_and_204_when_nothing_new(
    net: Network,  # noqa: F811
    client: TestClient,
    tmp_path: Path,
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    seed_households(a, 2)
    [bundle] = net.export("A")
    assert upload(client, bundle)["status"] == "applied"
    down = download(client, b, {"cursor": 0, "acked": 0})
    assert down.status_code == 200
    path = tmp_path / "down.dsb"
    path.write_bytes(down.content)
    report = import_bundles(b, [path])
    assert [o.status for o in report.outcomes] == ["applied"]
    with b.read() as conn:
        villages = {r[0] for r in conn.execute(text("SELECT village_code FROM household"))}
    assert villages == {VILLAGE}
    with b.read() as conn:
        cursor = json.loads(
            conn.execute(text("SELECT value FROM setting WHERE key = 'sync:cursor'")).scalar_one()
        )["server_seq"]
    again = download(client, b, {"cursor": cursor, "acked": 0})
    assert again.status_code == 204


def test_enrollment_needs_a_code_the_county_issued(
    net: Network,  # noqa: F811
    client: TestClient,
    tmp_path: Path,
) -> None:
    from desktop.core.database import open_database

    with open_database(tmp_path / "new.db") as db:
        request = keyring.enrollment_request(db, "新干部")
    code = issue(net.county, [VILLAGE])
    wrong = client.post("/enroll", json={"request": request, "enroll_code": "guess"})
    assert wrong.status_code == 403 and "口令不对" in wrong.json()["detail"]
    bad = client.post("/enroll", json={"request": {"type": "x"}, "enroll_code": code})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)
    nowhere = client.post(
        "/enroll", json={"request": request, "villages": ["没有这个村"], "enroll_code": code}
    )
    assert nowhere.status_code == 422 and "找不到" in nowhere.json()["detail"]
    outside = client.post(
        "/enroll", json={"request": request, "villages": [OTHER_VILLAGE], "enroll_code": code}
    )
    assert outside.status_code == 403
    assert OTHER_VILLAGE in outside.json()["detail"] and "不在其中" in outside.json()["detail"]
    good = client.post("/enroll", json={"request": request, "enroll_code": code.lower()})
    assert good.status_code == 200 and good.json()["villages"] == [VILLAGE]
    again = client.post("/enroll", json={"request": request, "enroll_code": code})
    assert again.status_code == 403 and "用完" in again.json()["detail"]


def test_conflicts_listed_and_resolved(net: Network, client: TestClient) -> None:  # noqa: F811
    a, b = net.laptops["A"], net.laptops["B"]
    [household] = seed_households(a, 1)
    [bundle] = net.export("A")
    assert upload(client, bundle)["status"] == "applied"
    down = download(client, b)
    path = net.root / "b-down.dsb"
    path.write_bytes(down.content)
    import_bundles(b, [path])
    for laptop, phone in ((a, "13800000001"), (b, "13800000002")):
        with laptop.unit_of_work() as uow:
            uow.update("household", household, {"phone": phone})
    for name in ("A", "B"):
        [bundle] = net.export(name)
        assert upload(client, bundle)["status"] == "applied"
    as_admin = admin(net.county)
    assert client.get("/conflicts").status_code == 401  # the county administrator only
    [conflict] = client.get("/conflicts", headers=as_admin).json()
    assert conflict["field"] == "phone"
    assert {conflict["winner_value"], conflict["loser_value"]} == {"13800000001", "13800000002"}
    assert "待处理的冲突（1）" in client.get("/", headers=as_admin).text
    missing = client.post("/conflicts/nope/resolve", json={"value": "1"}, headers=as_admin)
    assert missing.status_code == 404 and "找不到" in missing.json()["detail"]
    resolve = f"/conflicts/{conflict['id']}/resolve"
    invalid = client.post(resolve, json={"value": "abc"}, headers=as_admin)
    assert invalid.status_code == 422 and isinstance(invalid.json()["detail"], str)
    assert client.post(resolve, json={"value": "13800000002"}).status_code == 401
    done = client.post(resolve, json={"value": "13800000002"}, headers=as_admin)
    assert done.status_code == 200
    assert client.get("/conflicts", headers=as_admin).json() == []
    everything = client.get("/conflicts", params={"include_resolved": True}, headers=as_admin)
    assert len(everything.json()) == 1
    later = download(client, a).content  # the decision travels
    path = net.root / "a-down.dsb"
    path.write_bytes(later)
    assert import_bundles(a, [path]).ok
    with a.read() as conn:
        phone = conn.execute(
            text("SELECT phone FROM household WHERE id = :i"), {"i": household}
        ).scalar_one()
    assert phone == "13800000002"
