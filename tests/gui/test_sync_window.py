"""The sync window on real enrolled laptops: a real county folder (keys, database), real
bundles written to a folder standing in for the USB stick, real conflicts from concurrent edits.

The county and two laptops are built once per module by the same helpers the sync tests use
(``tests.sync.network``) and copied for each test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from county.enrollment import enroll
from county.exchange import apply_bundles, write_outboxes
from desktop.core.database import Database, open_database
from desktop.sync import keys as keyring
from desktop.sync.usb import sync_stick
from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.sync.window import SyncWindow
from desktop.ui.tasks import TaskRunner
from tests.gui.conftest import OFFSCREEN_NOTICES, Recorder, settle
from tests.sync.network import Network, make_network, reopen_network
from tests.sync.replicas import VILLAGE, seed_households


@pytest.fixture(scope="module")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sync-window-network")
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


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    path = tmp_path / "stick"
    path.mkdir()
    return path


class Laptop:
    """One laptop's app: its context (real worker thread), the sync window, what it reported."""

    def __init__(self, qtbot: Any, db: Database) -> None:
        self.recorder = Recorder()
        self.ctx = AppContext(db, TaskRunner())
        self.ctx.show_error = self.recorder.show_error
        self.window = SyncWindow(self.ctx)
        qtbot.addWidget(self.window)
        self.window.show()
        self.window.load()
        settle(self.ctx)

    def exchange(self, qtbot: Any, stick: Path) -> list[str]:
        panel = self.window.exchange
        panel.folder_edit.setText(str(stick))
        with qtbot.waitSignal(panel.finished, timeout=15000):
            qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        settle(self.ctx)
        return panel.report_lines()

    def close(self) -> None:
        self.ctx.runner.wait_idle(20)
        self.ctx.runner.shutdown()


@pytest.fixture
def laptops(qtbot: Any, net: Network) -> Iterator[dict[str, Laptop]]:
    made: dict[str, Laptop] = {}

    def get(name: str) -> Laptop:
        if name not in made:
            made[name] = Laptop(qtbot, net.laptops[name])
        return made[name]

    yield _Lazy(get)  # type: ignore[misc]
    for laptop in made.values():
        laptop.close()


class _Lazy(dict):  # type: ignore[type-arg]
    def __init__(self, get: Any) -> None:
        super().__init__()
        self._get = get

    def __missing__(self, name: str) -> Laptop:
        return self._get(name)


def county_round(net: Network, stick: Path) -> None:
    """What the county office does with a stick: apply the laptops' bundles, write theirs."""
    report = apply_bundles(net.county, sorted((stick / "Doorstep" / "outbox").glob("*.dsb")))
    assert report.ok, [o.message for o in report.outcomes]
    write_outboxes(net.county, stick / "Doorstep" / "inbox")


def phone_of(db: Database, household: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                text("SELECT phone FROM household WHERE id = :i"), {"i": household}
            ).scalar()
        )


def test_usb_exchange_from_one_laptop_through_the_county_to_another(
    net: Network, laptops: dict[str, Laptop], stick: Path, qtbot: Any
) -> None:
    seed_households(net.laptops["A"], 2)
    a = laptops["A"]
    panel = a.window.exchange
    assert panel.pending_value.text() not in ("", "0 条")
    assert a.window.enrollment.state_label.text() == "已登记到县里，可以同步。"
    assert panel.last_value.text() == "还没有交换过"
    assert panel.safe_label.isHidden()

    lines = a.exchange(qtbot, stick)
    assert lines[0] == "写入 1 个，导入 0 个，暂存 0 个，拒收 0 个，重复 0 个。"
    assert any("已写入 U 盘 1 个数据包" in line for line in lines)
    assert not panel.safe_label.isHidden() and panel.safe_label.text() == "可以拔出U盘了"
    assert panel.pending_value.text() == "0 条" and panel.bundles_value.text() == "1 个"
    assert len(list((stick / "Doorstep" / "outbox").glob("*.dsb"))) == 1

    county_round(net, stick)
    b = laptops["B"]
    with qtbot.waitSignal(b.window.imported, timeout=15000):
        lines = b.exchange(qtbot, stick)
    assert lines[0].startswith("写入") and "导入 1 个" in lines[0]
    assert any(line.startswith("已导入数据包") for line in lines)
    assert not b.window.exchange.safe_label.isHidden()
    assert b.window.exchange.last_value.text() != "还没有交换过"
    with net.laptops["B"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == 2
    assert b.recorder.errors == [] and a.recorder.errors == []


def test_a_missing_stick_is_reported_and_never_called_safe(
    laptops: dict[str, Laptop], tmp_path: Path, qtbot: Any
) -> None:
    a = laptops["A"]
    lines = a.exchange(qtbot, tmp_path / "no-such-stick")
    assert "找不到 U 盘或文件夹" in lines[0] and lines[-1] == "交换没有完成。"
    assert a.window.exchange.safe_label.isHidden()
    assert a.window.exchange.start_button.isEnabled()


def test_concurrent_edits_show_as_conflicts_and_deciding_writes_a_change(
    net: Network, laptops: dict[str, Laptop], stick: Path, qtbot: Any, qtmodeltester: Any
) -> None:
    db_a, db_b = net.laptops["A"], net.laptops["B"]
    [household] = seed_households(db_a, 1)
    sync_stick(db_a, stick)
    county_round(net, stick)
    sync_stick(db_b, stick)
    # both laptops change the same fields without having seen each other's edit
    with db_a.unit_of_work() as uow:
        uow.update("household", household, {"phone": "13800000001", "bank_name": "农业银行"})
    with db_b.unit_of_work() as uow:
        uow.update("household", household, {"phone": "13900000002", "bank_name": "信用社"})
    sync_stick(db_a, stick)
    county_round(net, stick)

    b = laptops["B"]
    b.exchange(qtbot, stick)
    panel = b.window.conflicts
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    qtmodeltester.check(panel.model)
    assert b.window.tabs.tabText(1) == "冲突（2）"
    assert b.window.exchange.conflicts_value.text() == "2 处"
    rows = {r["field"]: r for r in panel.model.rows}
    phone = rows["phone"]
    assert (phone["winner_text"], phone["loser_text"]) == ("13900000002", "13800000001")
    assert (phone["winner_device"], phone["loser_device"]) == ("本机", db_a.device_id[:8])
    assert (phone["winner_cadre"], phone["loser_cadre"]) == ("干部B", "干部A")
    assert phone["household"] == f"户主1 {VILLAGE}0001" and phone["field_label"] == "联系电话"

    panel.table.selectRow(panel.model.rows.index(phone))
    assert panel.winner_card.value.text() == "13900000002"
    assert panel.loser_card.value.text() == "13800000001"
    assert panel.loser_card.cadre.text() == "干部A" and panel.winner_card.time.text()
    with qtbot.waitSignal(panel.resolved, timeout=5000) as resolved:
        panel.loser_card.button.click()  # A's number was the right one
    settle(b.ctx)
    assert phone_of(db_b, household) == "13800000001"
    with db_b.read() as conn:
        op, device, value = conn.execute(
            text("SELECT op, device_id, value FROM change_log WHERE change_id = :c"),
            {"c": resolved.args[0]},
        ).one()
    assert (op, device, json.loads(value)) == ("resolve", db_b.device_id, "13800000001")
    assert panel.model.rowCount() == 1 and b.window.tabs.tabText(1) == "冲突（1）"

    # neither bank is right: a mistyped value is refused beside the field, then corrected
    assert panel.current_row()["field"] == "bank_name"
    assert panel.form is not None
    edit = panel.form.widgets["bank_name"]
    edit.setText("")  # type: ignore[attr-defined]
    edit.setText("x" * 300)  # type: ignore[attr-defined]
    panel.save_other()
    settle(b.ctx)
    assert panel.model.rowCount() == 1
    assert panel.form.shown_problem("bank_name") or b.recorder.errors
    edit = panel.form.widgets["bank_name"]
    edit.setText("邮储银行")  # type: ignore[attr-defined]
    with qtbot.waitSignal(panel.resolved, timeout=5000):
        qtbot.mouseClick(panel.other_button, Qt.MouseButton.LeftButton)
    settle(b.ctx)
    assert panel.model.rowCount() == 0 and not panel.empty.isHidden()
    assert b.window.tabs.tabText(1) == "冲突"
    with db_b.read() as conn:
        assert (
            conn.execute(
                text("SELECT bank_name FROM household WHERE id = :i"), {"i": household}
            ).scalar()
            == "邮储银行"
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM conflict WHERE resolved_by_change IS NULL")
            ).scalar()
            == 0
        )


def test_enrolling_a_new_laptop_from_the_window(net: Network, qtbot: Any, tmp_path: Path) -> None:
    db = open_database(tmp_path / "C.db")
    laptop = Laptop(qtbot, db)
    try:
        panel = laptop.window.enrollment
        assert panel.state_label.text().startswith("还没有登记")
        panel.cadre_edit.setText("干部C")
        request_file = tmp_path / "request.json"
        panel.save_request(request_file)
        settle(laptop.ctx)
        assert "已生成密钥" in panel.state_label.text()
        request = json.loads(request_file.read_text("utf-8"))
        assert request["device_id"] == db.device_id and request["cadre"] == "干部C"

        broken = tmp_path / "broken.json"
        broken.write_text("not json", "utf-8")
        panel.accept_certificate(broken)
        settle(laptop.ctx)
        assert "不是有效的 JSON" in panel.message.text()
        other = tmp_path / "other.json"  # a certificate for laptop B
        other.write_text(
            json.dumps(
                enroll(net.county, keyring.enrollment_request(net.laptops["B"], "干部B"), [VILLAGE])
            ),
            "utf-8",
        )
        panel.accept_certificate(other)
        settle(laptop.ctx)
        assert "发给另一台电脑" in panel.message.text()
        assert panel.state.certificate is None  # type: ignore[union-attr]

        certificate = tmp_path / "cert.json"
        certificate.write_text(json.dumps(enroll(net.county, request, [VILLAGE])), "utf-8")
        panel.accept_certificate(certificate)
        settle(laptop.ctx)
        assert panel.state_label.text() == "已登记到县里，可以同步。"
        assert panel.cadre_label.text() == "干部C"
        assert panel.villages_label.text() == VILLAGE  # a new laptop has no region names yet
        assert panel.message.text().startswith("已安装登记证书")
    finally:
        laptop.close()
        db.close()


def test_the_pending_count_opens_the_sync_window(window: MainWindow, qtbot: Any) -> None:
    assert "条修改尚未上报县里" in window.pending_label.text()
    qtbot.mouseClick(window.pending_label, Qt.MouseButton.LeftButton)
    settle(window.ctx)
    dialog = window.sync_window
    assert dialog.isVisible()
    assert dialog.enrollment.state_label.text().startswith("还没有登记")
    lines = []
    dialog.exchange.folder_edit.setText(str(window.ctx.db.path.parent))
    with qtbot.waitSignal(window.ctx.runner.busy_changed, timeout=5000):
        dialog.exchange.start_exchange()
    settle(window.ctx)
    lines = dialog.exchange.report_lines()
    assert "还没有登记到县里" in lines[0] and dialog.exchange.safe_label.isHidden()
    assert window.sync_action.text().startswith("同步")


@pytest.mark.qt_log_ignore(  # the offscreen platform has no window stacking or size hints
    "This plugin does not support raise", OFFSCREEN_NOTICES
)
def test_an_import_reloads_the_main_window(window: MainWindow, qtbot: Any) -> None:
    from desktop.ui.sync.hooks import open_sync_window

    dialog = open_sync_window(window)
    settle(window.ctx)
    assert open_sync_window(window) is dialog  # one window, brought forward again
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        dialog.imported.emit()
    settle(window.ctx)
    assert window.model.rowCount() == 30
