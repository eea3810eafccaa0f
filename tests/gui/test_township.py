"""The township window relays real sticks through a real county server on loopback: the office
enrolls as a relay station, a laptop's stick is relayed (forwarded, then the county's bundle
written back for the laptop), the county unreachable means stored for later — and "可以拔出"
appears only after the report, never while the relay runs or after an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from county.server import create_app
from desktop.core.database import Database
from desktop.sync.usb import stick_paths, sync_stick
from desktop.ui.context import AppContext
from desktop.ui.sync.township_window import TownshipWindow
from desktop.ui.tasks import TaskRunner
from tests.county.codes import admin, issue
from tests.county.live_server import free_port, serving
from tests.sync.conftest import county_database, net, network_template  # noqa: F401
from tests.sync.network import Network
from tests.sync.replicas import VILLAGE, seed_households


@pytest.fixture
def county_url(net: Network) -> Iterator[str]:  # noqa: F811
    with serving(create_app(net.county.root)) as url:
        yield url


@pytest.fixture
def township(qtbot: Any, net: Network, tmp_path: Path) -> Iterator[TownshipWindow]:  # noqa: F811
    runner = TaskRunner()
    ctx = AppContext(net.laptops["A"], runner)
    window = TownshipWindow(ctx, state_dir=tmp_path / "relay")
    qtbot.addWidget(window)
    window.show()
    yield window
    assert window.job.wait(20)
    runner.wait_idle(20)
    runner.shutdown()


def enroll_code(net: Network) -> str:  # noqa: F811
    """A code the county issued for a station serving VILLAGE: the window asks for no village."""
    return issue(net.county, [VILLAGE], role="township-relay")


def enroll(qtbot: Any, window: TownshipWindow, url: str, code: str) -> list[str]:
    window.server_edit.setText(url)
    window.name_edit.setText("红岩镇")
    window.code_edit.setText(code)
    with qtbot.waitSignal(window.enrolled, timeout=15000):
        qtbot.mouseClick(window.enroll_button, Qt.MouseButton.LeftButton)
    return window.report_texts()


def relay(qtbot: Any, window: TownshipWindow, stick: Path) -> list[str]:
    window.stick_edit.setText(str(stick))
    banner_during: list[bool] = []
    window.job.progressed.connect(lambda *_a: banner_during.append(window.safe_label.isVisible()))
    with qtbot.waitSignal(window.finished_relay, timeout=20000):
        qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    assert not any(banner_during)  # never "可以拔出" while the relay is still running
    return window.report_texts()


def phones(db: Database) -> dict[str, str | None]:
    with db.read() as conn:
        return {str(r[0]): r[1] for r in conn.execute(text("SELECT number, phone FROM household"))}


def test_the_office_enrolls_then_relays_a_stick_both_ways(
    qtbot: Any,
    net: Network,  # noqa: F811
    county_url: str,
    township: TownshipWindow,
    tmp_path: Path,
) -> None:
    assert township.enroll_box.isVisible() and not township.relay_box.isEnabled()
    assert "还没有在县里登记" in township.station_label.text()
    wrong = enroll(qtbot, township, county_url, "猜的口令")
    assert wrong and not township.station.enrolled and township.enroll_box.isVisible()
    ok = enroll(qtbot, township, county_url, enroll_code(net))
    assert township.station.enrolled and township.relay_box.isEnabled()
    assert "本站已在县里登记" in ok[0] and "红岩镇" in township.station_label.text()
    assert not township.enroll_box.isVisible()

    a, b = net.laptops["A"], net.laptops["B"]
    seed_households(a, 1)
    stick_a, stick_b = tmp_path / "stick-a", tmp_path / "stick-b"
    stick_a.mkdir()
    stick_b.mkdir()
    sync_stick(a, stick_a)
    sync_stick(b, stick_b)

    lines = relay(qtbot, township, stick_a)
    assert lines[0].startswith("转交县里 1 个"), lines
    assert "已连上县服务器。" in lines
    assert township.safe_label.isVisible()
    outbox, _inbox = stick_paths(stick_a, a.device_id)
    assert list(outbox.glob("*.dsb")) == []  # the county has it; off the stick
    listed = httpx.get(f"{county_url}/devices", headers=admin(net.county))
    devices = {d["device_id"]: d for d in listed.json()}
    assert devices[a.device_id]["bundles_applied"] == 1

    relay(qtbot, township, stick_b)  # B's stick gets B's down-bundle with A's household
    assert "写入 U 盘 1 个" in township.report_texts()[0]
    sync_stick(b, stick_b)
    assert f"{VILLAGE}0001" in phones(b)


def test_offline_the_stick_is_stored_for_later_and_a_bad_stick_is_never_called_safe(
    qtbot: Any,
    net: Network,  # noqa: F811
    county_url: str,
    township: TownshipWindow,
    tmp_path: Path,
) -> None:
    enroll(qtbot, township, county_url, enroll_code(net))
    empty = tmp_path / "empty"
    empty.mkdir()
    relay(qtbot, township, empty)  # an online visit leaves the device list at the station
    assert any("U 盘上没有需要中转的数据包" in line for line in township.report_texts())

    a = net.laptops["A"]
    seed_households(a, 2)
    stick = tmp_path / "stick"
    stick.mkdir()
    sync_stick(a, stick)
    township.server_edit.setText(f"http://127.0.0.1:{free_port()}")  # nobody answers there
    lines = relay(qtbot, township, stick)
    assert lines[0].startswith("转交县里 0 个，暂存本站 1 个"), lines
    assert any("没有连上县服务器" in line for line in lines)
    assert any("下次连上县服务器时自动转交" in line for line in lines)
    assert township.safe_label.isVisible()  # stored safely at the station: the stick may go

    township.server_edit.setText(county_url)  # the county is back: the next visit forwards
    lines = relay(qtbot, township, empty)
    assert lines[0].startswith("转交县里 1 个，暂存本站 0 个"), lines

    lines = relay(qtbot, township, tmp_path / "no-such-stick")
    assert "找不到 U 盘或文件夹" in lines[0]
    assert "中转没有完成" in lines[1]
    assert not township.safe_label.isVisible()
    assert township.start_button.isEnabled()
