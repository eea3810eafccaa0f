"""The township relay over real HTTP: laptop → stick → relay → county → relay → stick → laptop,
store and forward while the county is unreachable, and every file it must refuse (unsigned,
tampered, renamed, a stranger's, a revoked laptop's), left on the stick with the reason."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from county.enrollment import revoke
from county.server import create_app
from desktop import cli
from desktop.core.database import Database
from desktop.sync import keys as keyring
from desktop.sync.client import device_signer
from desktop.sync.exchange import export_bundles
from desktop.sync.relay import RelayError, enroll_station, relay_stick
from desktop.sync.request_auth import sign_request
from desktop.sync.station import Station, StationError
from desktop.sync.usb import stick_paths, sync_stick
from tests.county.codes import admin, issue
from tests.county.live_server import free_port, serving
from tests.sync.conftest import net, network_template  # noqa: F401  (fixtures)
from tests.sync.network import Network, make_network
from tests.sync.replicas import OTHER_VILLAGE, VILLAGE, seed_households


@pytest.fixture
def county_url(net: Network) -> Iterator[str]:  # noqa: F811
    with serving(create_app(net.county.root)) as url:
        yield url


def enroll_code(net: Network) -> str:  # noqa: F811
    """A code the county issued for a township station serving VILLAGE."""
    return issue(net.county, [VILLAGE], role="township-relay")


@pytest.fixture
def station(net: Network, county_url: str, tmp_path: Path) -> Path:  # noqa: F811
    state = tmp_path / "relay"
    cert = enroll_station(state, county_url, "红岩镇", enroll_code(net))
    assert cert["role"] == "township-relay" and cert["villages"] == [VILLAGE]
    assert (state / "directory.json").is_file()  # fetched at once: the next visit may be offline
    return state


def phones(db: Database) -> dict[str, str | None]:
    with db.read() as conn:
        return {str(r[0]): r[1] for r in conn.execute(text("SELECT number, phone FROM household"))}


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_a_stick_goes_through_the_relay_and_back(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    [household] = seed_households(a, 1)
    stick_a, stick_b = tmp_path / "stick-a", tmp_path / "stick-b"
    stick_a.mkdir()
    stick_b.mkdir()
    sync_stick(a, stick_a)
    sync_stick(b, stick_b)
    outbox, _inbox = stick_paths(stick_a, a.device_id)
    [name] = [p.name for p in outbox.glob("*.dsb")]
    assert (outbox / f"{name}.minisig").is_file()

    steps: list[tuple[int, int, str]] = []
    report = relay_stick(stick_a, county_url, station, lambda *s: steps.append(s))
    assert report.online and [i.name for i in report.forwarded] == [name], report.summary()
    assert not report.refused and not report.stored and report.safe_to_remove
    assert list(outbox.iterdir()) == []  # taken off the stick once the county has it
    assert steps and all(done <= total for done, total, _what in steps)
    assert "可以拔出 U 盘" in report.summary()

    # B's stick brings B's (empty) state; the relay writes B's down-bundle with A's household
    relay_stick(stick_b, county_url, station)
    sync_stick(b, stick_b)
    assert f"{VILLAGE}0001" in phones(b)

    # A's edit travels again the same way; A's own down-bundle acknowledges A's bundles
    with a.unit_of_work() as uow:
        uow.update("household", household, {"phone": "13800138000"})
    sync_stick(a, stick_a)
    second = relay_stick(stick_a, None, station)  # None: the server it was enrolled with
    assert second.forwarded and second.written
    back = sync_stick(a, stick_a)
    assert back.imported.ok and back.imported.outcomes  # the county's acknowledgement
    relay_stick(stick_b, county_url, station)
    sync_stick(b, stick_b)
    assert phones(b)[f"{VILLAGE}0001"] == "13800138000"


def test_store_and_forward_while_the_county_is_unreachable(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a = net.laptops["A"]
    relay_stick(tmp_path, county_url, station)  # an online visit leaves the device list here
    seed_households(a, 2)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    offline = relay_stick(stick, dead_url(), station)
    assert not offline.online and "连不上县服务器" in (offline.offline_reason or "")
    assert len(offline.stored) == 1 and not offline.forwarded and not offline.refused
    assert offline.safe_to_remove and "暂存在本站" in offline.summary()
    assert list((stick / "Doorstep" / "outbox").glob("*.dsb")) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    online = relay_stick(empty, county_url, station)  # the next visit, with the county back
    assert [i.name for i in online.forwarded] == [offline.stored[0].name]
    assert not online.stored
    listed = httpx.get(f"{county_url}/devices", headers=admin(net.county))
    devices = {d["device_id"]: d for d in listed.json()}
    assert devices[a.device_id]["bundles_applied"] == 1


def test_what_the_relay_refuses_stays_on_the_stick_with_the_reason(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    relay_stick(tmp_path, county_url, station)
    stick = tmp_path / "stick"
    stick.mkdir()
    seed_households(a, 1)
    seed_households(b, 1, start=5)
    sync_stick(a, stick)
    sync_stick(b, stick)
    outbox = stick / "Doorstep" / "outbox"
    [bundle_a] = outbox.glob(f"{a.device_id}-*.dsb")
    [bundle_b] = outbox.glob(f"{b.device_id}-*.dsb")
    Path(f"{bundle_a}.minisig").unlink()  # unsigned
    damaged = bytearray(bundle_b.read_bytes())
    damaged[-10] ^= 1
    bundle_b.write_bytes(bytes(damaged))  # tampered after signing
    (outbox / "holiday-photos.dsb").write_bytes(b"not a bundle")
    stranger = make_network(tmp_path / "elsewhere")
    try:
        x = stranger.laptop("X")
        seed_households(x, 1)
        sync_stick(x, stick)  # enrolled in another county: unknown here
    finally:
        stranger.close()
    report = relay_stick(stick, county_url, station)
    reasons = {item.name: item.message for item in report.refused}
    assert "没有签名文件" in reasons[bundle_a.name]
    assert "签名不对" in reasons[bundle_b.name]
    assert "不是入户通笔记本的数据包" in reasons["holiday-photos.dsb"]
    assert any(
        "没有在本站服务的村登记" in m for n, m in reasons.items() if n.startswith(x.device_id)
    )
    assert not report.forwarded
    left = {p.name for p in outbox.glob("*.dsb")}
    assert {bundle_a.name, bundle_b.name, "holiday-photos.dsb"} <= left and len(left) == 4
    assert cli_exit(["usb", "relay", str(stick), "--server", county_url, "--state", str(station)])


def test_a_signature_moved_to_another_bundle_and_a_revoked_laptop_are_refused(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    relay_stick(tmp_path, county_url, station)
    stick = tmp_path / "stick"
    stick.mkdir()
    seed_households(a, 1)
    sync_stick(a, stick)
    seed_households(a, 1, start=3)
    sync_stick(a, stick)
    outbox = stick / "Doorstep" / "outbox"
    first, second = sorted(outbox.glob("*.dsb"))
    shutil.copy(f"{first}.minisig", f"{second}.minisig")  # a valid signature, wrong file
    report = relay_stick(stick, county_url, station)
    assert [i.name for i in report.forwarded] == [first.name]
    [refused] = report.refused
    assert refused.name == second.name and "签名不对" in refused.message

    seed_households(b, 1, start=7)
    sync_stick(b, stick)
    revoke(net.county, b.device_id, "电脑丢失")
    report = relay_stick(stick, county_url, station)
    assert any("已被县里吊销" in i.message for i in report.refused if i.device == b.device_id)


def test_the_county_refusal_is_kept_at_the_station_with_its_reason(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a = net.laptops["A"]
    seed_households(a, 1, village=OTHER_VILLAGE)  # A may not edit that village
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    report = relay_stick(stick, county_url, station)
    [refused] = report.refused
    assert "无权修改" in refused.message and not report.forwarded and not report.stored
    kept = Station(station).refused / refused.name
    assert kept.is_file() and "无权修改" in Path(f"{kept}.reason.txt").read_text()


def test_the_detached_signature_is_checked_by_stock_minisign(
    net: Network,  # noqa: F811
    tmp_path: Path,
) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    [bundle] = (stick / "Doorstep" / "outbox").glob("*.dsb")
    pub = tmp_path / "a.pub"
    pub.write_text(keyring.device_keys(a, create=False).signing.public_key.pub_file_text())
    good = subprocess.run(
        ["minisign", "-V", "-m", str(bundle), "-p", str(pub)], capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    assert f"file:{bundle.name} device:{a.device_id}" in good.stdout
    bundle.write_bytes(bundle.read_bytes() + b"x")
    bad = subprocess.run(["minisign", "-V", "-m", str(bundle), "-p", str(pub)], capture_output=True)
    assert bad.returncode != 0


def test_offline_first_visit_and_damaged_state_are_clear(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    # no device list (enrolling fetched one; say it was lost) and no county: nothing can be
    # checked, so nothing is taken
    (station / "directory.json").unlink()
    report = relay_stick(stick, dead_url(), station)
    assert "还没有县里的设备名单" in report.refused[0].message
    assert len(list((stick / "Doorstep" / "outbox").glob("*.dsb"))) == 1
    # a device list altered on disk is not believed
    relay_stick(tmp_path, county_url, station)  # online now: the device list is kept
    directory = station / "directory.json"
    directory.write_text(directory.read_text().replace(a.device_id[:8], "ffffffff"))
    report = relay_stick(stick, dead_url(), station)
    assert report.refused and not report.stored
    with pytest.raises(RelayError, match="找不到 U 盘"):
        relay_stick(tmp_path / "nowhere", county_url, station)
    with pytest.raises(StationError, match="还没有在县里登记"):
        relay_stick(stick, county_url, tmp_path / "not-a-station")


def test_down_bundles_only_for_the_laptops_the_station_serves_and_only_signed(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a = net.laptops["A"]
    far = net.laptop("C", (OTHER_VILLAGE,))
    station_id, signing = Station(station).keys()
    principal = f"station:{station_id}"
    with httpx.Client(base_url=county_url) as http:

        def as_station(path: str) -> httpx.Response:
            return http.get(path, headers=sign_request(signing, principal, "GET", path))

        listed = as_station("/stations/devices").json()
        ids = {c["device_id"] for c in listed["certificates"]}
        assert a.device_id in ids and far.device_id not in ids
        refused = as_station(f"/stations/devices/{far.device_id}/bundle")
        assert refused.status_code == 403 and "不能代收" in refused.json()["detail"]
        own = f"/devices/{a.device_id}/bundle"
        assert as_station(own).status_code == 403  # a station is not the laptop
        laptop = device_signer(keyring.device_keys(a, create=False))
        path = "/stations/devices"
        as_laptop = http.get(path, headers=laptop("GET", path, {}, time.time()))
        assert as_laptop.status_code == 403 and "中转站" in as_laptop.json()["detail"]
        assert http.get(path).status_code == 401
        wrong_code = http.post(
            "/stations/enroll",
            json={"request": Station(tmp_path / "s2").request("坪上"), "enroll_code": "nope"},
        )
        assert wrong_code.status_code == 403

    # a down-bundle altered at the station is never written onto a stick
    seed_households(a, 1)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    relay_stick(stick, county_url, station)  # fetched and written
    [kept] = (Station(station).down(a.device_id)).glob("*.dsb")
    inbox = stick_paths(stick, a.device_id)[1]
    assert (inbox / kept.name).is_file()
    (inbox / kept.name).unlink()
    kept.write_bytes(kept.read_bytes()[:-1] + b"\0")
    report = relay_stick(stick, dead_url(), station)
    assert any("签名不对" in i.message for i in report.refused) and not report.written
    assert not (inbox / kept.name).exists()


def cli_exit(argv: list[str]) -> int:
    return cli.main(argv)


def test_the_relay_command_enrolls_on_first_use_and_relays(
    net: Network,  # noqa: F811
    county_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = net.laptops["A"]
    seed_households(a, 1)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    state = tmp_path / "state"
    argv = ["usb", "relay", str(stick), "--server", county_url, "--state", str(state)]
    assert cli_exit(argv) == 1
    assert "还没有在县里登记" in capsys.readouterr().err
    assert cli_exit([*argv, "--name", "红岩镇", "--enroll-code", "x"]) == 1
    assert "登记口令不对" in capsys.readouterr().err
    code = cli_exit([*argv, "--name", "红岩镇", "--enroll-code", enroll_code(net)])
    out = capsys.readouterr().out
    assert code == 0 and "已在县里登记" in out and "已转交县里 1 个数据包" in out, out
    assert "可以拔出 U 盘" in out


def test_bundles_made_before_detached_signatures_still_travel(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    # the county never needed the detached signature: an old bundle without one applies
    seed_households(b, 1, start=4)
    old = export_bundles(b).new_bundle
    assert old is not None
    Path(f"{old.path}.minisig").unlink()
    applied = httpx.post(
        f"{county_url}/bundles", params={"name": old.path.name}, content=old.path.read_bytes()
    )
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    # a laptop's outbox from before the change is signed on its next stick exchange
    seed_households(a, 1)
    unsigned = export_bundles(a).new_bundle
    assert unsigned is not None
    Path(f"{unsigned.path}.minisig").unlink()
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    assert (stick / "Doorstep" / "outbox" / f"{unsigned.path.name}.minisig").is_file()
    report = relay_stick(stick, county_url, station)
    assert [i.name for i in report.forwarded] == [unsigned.path.name], report.summary()


def test_a_station_forwards_large_bundles_in_resumable_pieces(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
) -> None:
    from desktop.sync.client import upload_bundle
    from desktop.sync.relay import _station_connection

    a = net.laptops["A"]
    seed_households(a, 2)
    bundle = export_bundles(a).new_bundle
    assert bundle is not None
    conn = _station_connection(Station(station), county_url)
    conn.resumable_from, conn.chunk_size = 1, 1024  # every bundle in pieces, many of them
    pieces: list[int] = []
    conn.on_bytes = lambda held, total: pieces.append(held)
    try:
        result = upload_bundle(conn, bundle.path)
    finally:
        conn.close()
    assert result.status == "applied", result.message
    assert len(pieces) > 2 and pieces[-1] == bundle.size


def test_a_revoked_station_is_refused_by_the_county(
    net: Network,  # noqa: F811
    county_url: str,
    station: Path,
    tmp_path: Path,
) -> None:
    from county.server.stations import revoke_station

    station_id, _signing = Station(station).keys()
    revoke_station(net.county, station_id, "电脑被盗")
    report = relay_stick(tmp_path, county_url, station)
    assert not report.online and "已被吊销" in (report.offline_reason or "")
    again = httpx.post(
        f"{county_url}/stations/enroll",
        json={"request": Station(station).request("红岩镇"), "enroll_code": enroll_code(net)},
    )
    assert again.status_code == 422 and "吊销" in again.json()["detail"]
