"""USB exchange: laptop → stick → county → stick → laptop, photos included, and a stick pulled
out in the middle of writing."""

from __future__ import annotations

import errno
import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from county.exchange import apply_bundles, write_outboxes
from desktop.core.database import Database
from desktop.sync.bundle import file_sha256
from desktop.sync.exchange import outbox_dir
from desktop.sync.photostore import photo_path
from desktop.sync.usb import UsbError, stick_paths, sync_stick
from tests.sync.network import Network
from tests.sync.replicas import seed_households


def add_photo(db: Database, household: str, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    path = photo_path(db.path, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with db.unit_of_work() as uow:
        visit = uow.insert("visit", {"household_id": household, "visit_date": date(2024, 3, 5)})
        uow.insert(
            "photo",
            {
                "sha256": sha,
                "household_id": household,
                "owner_table": "visit",
                "owner_id": visit,
                "size_bytes": len(content),
            },
        )
    return sha


def county_round(net: Network, stick: Path) -> None:
    outbox = stick / "Doorstep" / "outbox"
    report = apply_bundles(net.county, sorted(outbox.glob("*.dsb")))
    assert report.ok, [o.message for o in report.outcomes]
    write_outboxes(net.county, stick / "Doorstep" / "inbox")


def test_round_trip_through_a_stick_with_photos(net: Network, tmp_path: Path) -> None:
    a, b = net.laptops["A"], net.laptops["B"]
    stick = tmp_path / "stick"
    stick.mkdir()
    [household] = seed_households(a, 1)
    sha = add_photo(a, household, b"\xff\xd8\xff\xe0 a small jpeg " * 100)
    progress: list[tuple[str, int, int]] = []
    report = sync_stick(a, stick, lambda what, done, total: progress.append((what, done, total)))
    assert report.safe_to_remove and len(report.written) == 1
    assert progress and progress[-1][1] == progress[-1][2]
    assert any("可以拔出" in line for line in report.lines())
    county_round(net, stick)
    assert photo_path(net.county.photos_anchor, sha).is_file()
    report_b = sync_stick(b, stick)
    assert report_b.imported.ok and [o.status for o in report_b.imported.outcomes] == ["applied"]
    assert photo_path(b.path, sha).read_bytes() == photo_path(a.path, sha).read_bytes()
    with b.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM photo")).scalar() == 1
    # A's next exchange hears the acknowledgement and clears its bundle from the stick; what
    # it writes now only tells the county how far A has read (its cursor)
    first = report.written[0]
    report_a = sync_stick(a, stick)
    outbox, _inbox = stick_paths(stick, a.device_id)
    assert report_a.removed == [first] and not (outbox / first).exists()
    assert report_a.new_changes == 0
    assert [p.name for p in outbox_dir(a).glob("*.dsb")] == report_a.written


def test_a_stick_pulled_out_mid_write_leaves_the_old_outbox_valid(
    net: Network, tmp_path: Path
) -> None:
    a = net.laptops["A"]
    stick = tmp_path / "stick"
    stick.mkdir()
    seed_households(a, 1)
    sync_stick(a, stick)
    outbox, _inbox = stick_paths(stick, a.device_id)
    [old] = sorted(outbox.glob("*.dsb"))
    old_hash = file_sha256(old)
    seed_households(a, 30, start=2)

    def pulled(what: str, done: int, total: int) -> None:
        if what != old.name:
            raise OSError(errno.EIO, "设备已移除")

    with pytest.raises(OSError):
        sync_stick(a, stick, pulled)
    names = sorted(p.name for p in outbox.iterdir() if not p.name.endswith(".minisig"))
    assert names == [old.name]  # no half-written bundle under a real name, no temp left
    assert (outbox / f"{old.name}.minisig").is_file()  # and the old one keeps its signature
    assert file_sha256(old) == old_hash
    report = apply_bundles(net.county, [old])
    assert [o.status for o in report.outcomes] == ["applied"]
    # the next exchange writes the new bundle; nothing was lost
    again = sync_stick(a, stick)
    assert again.safe_to_remove and len(again.written) == 1
    assert apply_bundles(net.county, sorted(outbox.glob("*.dsb"))).ok


def test_a_missing_stick_is_a_clear_error(net: Network, tmp_path: Path) -> None:
    with pytest.raises(UsbError, match="找不到 U 盘"):
        sync_stick(net.laptops["A"], tmp_path / "nowhere")
