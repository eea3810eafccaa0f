"""Online sync in the app against a real county server on loopback (uvicorn in a thread).

A county seeded from its roster, a laptop enrolled online, the real worker and sync thread, the
real sync window and main window. The status must never say 已同步 before the server has
acknowledged everything; failures say why and retry with backoff; a cancel loses nothing.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from county.cli import main as county_main
from county.server import create_app
from desktop.core.database import Database, open_database
from desktop.core.queries.status import pending_change_count
from desktop.sync.client import enroll_online
from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.sync import online_state as st
from desktop.ui.sync.exchange_lock import exchange_turn
from desktop.ui.sync.hooks import open_online_tab
from desktop.ui.sync.online_settings import load_settings
from desktop.ui.sync.online_syncer import OnlineSyncer
from desktop.ui.sync.retry_schedule import RetrySchedule
from desktop.ui.sync.window import SyncWindow
from desktop.ui.tasks import TaskRunner
from tests.county.codes import issue
from tests.county.live_server import free_port, serving
from tests.county.test_county_import import make_roster
from tests.gui.conftest import Recorder, settle
from tests.sync.replicas import seed_households

VILLAGE = "520102001001"
OTHER_VILLAGE = "520102001002"


@pytest.fixture(scope="module")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("online-gui")
    roster = root / "roster.xlsx"
    make_roster(roster, root)
    data = root / "county"
    assert county_main(["init", "--data", str(data), "--name", "示范县"]) == 0
    assert county_main(["import", "--data", str(data), str(roster), "--commit"]) == 0
    return data


@pytest.fixture
def county(tmp_path: Path, county_template: Path) -> Path:
    data = tmp_path / "county"
    shutil.copytree(county_template, data)
    return data


def enroll_laptop(county: Path, path: Path, url: str) -> Database:
    db = open_database(path)
    enroll_online(db, url, "张三", issue(county, [VILLAGE]))
    return db


def county_changes(county: Path) -> int:
    """Changes the county has accepted (read straight from its SQLite file)."""
    with closing(sqlite3.connect(f"file:{county / 'county.db'}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM change_log").fetchone()[0])


def households(db: Database) -> dict[str, str]:
    with db.read() as conn:
        rows = conn.execute(text("SELECT number, coalesce(phone, '') FROM household"))
        return {str(r[0]): str(r[1]) for r in rows}


class App:
    """The laptop's app: real worker, a syncer with test-sized timings, the sync window."""

    def __init__(self, qtbot: Any, db: Database, schedule: RetrySchedule, settle_s: float) -> None:
        self.qtbot = qtbot
        self.recorder = Recorder()
        self.ctx = AppContext(db, TaskRunner())
        self.ctx.show_error = self.recorder.show_error
        self.syncer = OnlineSyncer(self.ctx, schedule=schedule, settle_s=settle_s, backoff=0.01)
        self.window = SyncWindow(self.ctx, syncer=self.syncer)
        self.panel = self.window.online
        self.window.tabs.setCurrentWidget(self.panel)
        qtbot.addWidget(self.window)
        self.window.show()
        self.window.load()
        self.syncer.load()
        settle(self.ctx)
        self.sentences: list[str] = []
        self.syncer.progressed.connect(lambda *_a: self.sentences.append(self.sentence()))

    def sentence(self) -> str:
        return self.panel.sentence.text()

    def set_server(self, url: str, auto: bool) -> None:
        self.panel.auto_box.blockSignals(True)
        self.panel.auto_box.setChecked(auto)
        self.panel.auto_box.blockSignals(False)
        self.panel.server_edit.setText(url)
        self.qtbot.mouseClick(self.panel.save_button, Qt.MouseButton.LeftButton)
        settle(self.ctx)

    def sync_now(self) -> Any:
        with self.qtbot.waitSignal(self.syncer.finished, timeout=20000) as blocker:
            self.qtbot.mouseClick(self.panel.sync_button, Qt.MouseButton.LeftButton)
        settle(self.ctx)
        return blocker.args[0]

    def close(self) -> None:
        assert self.syncer.shutdown(20)
        self.ctx.runner.wait_idle(20)
        self.ctx.runner.shutdown()


@pytest.fixture
def make_app(qtbot: Any) -> Iterator[Any]:
    apps: list[App] = []

    def make(db: Database, schedule: RetrySchedule | None = None, settle_s: float = 3600) -> App:
        app = App(qtbot, db, schedule or RetrySchedule(period=3600), settle_s)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def test_sync_now_uploads_and_downloads_and_says_synced_only_when_acknowledged(
    county: Path, tmp_path: Path, make_app: Any
) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "a.db", url)
        try:
            app = make_app(db)
            assert "还没有设置县服务器地址" in app.sentence()
            app.set_server(url + "/", auto=False)
            assert app.syncer.state.server == url  # kept without the trailing slash
            assert "已同步" not in app.sentence()
            assert households(db) == {}

            first = app.sync_now()  # the first sync brings the village's households down
            assert first.outcome == st.SYNCED, first.message
            assert set(households(db)) == {f"{VILLAGE}{i:04d}" for i in range(3)}
            assert app.sentence().startswith("已同步")
            assert app.panel.pending_value.text() == "0 条"
            assert "今天" in app.panel.last_ok_value.text()

            target = next(iter(sorted(households(db))))
            with db.read() as conn:
                row = conn.execute(
                    text("SELECT id FROM household WHERE number = :n"), {"n": target}
                ).scalar_one()
            app.ctx.run_op(
                "改电话", lambda uow: uow.update("household", row, {"phone": "13800138000"})
            )
            settle(app.ctx)
            app.qtbot.waitUntil(lambda: app.syncer.state.pending > 0, timeout=5000)
            # a save after the last sync: no longer "synced", and it says what is waiting
            assert "已同步" not in app.sentence()
            assert "条修改在本机等待上报" in app.sentence()

            before = county_changes(county)
            steps: list[tuple[str, int, int]] = []
            app.syncer.progressed.connect(lambda *s: steps.append(s))
            app.sentences.clear()
            second = app.sync_now()
            assert second.outcome == st.SYNCED, second.message
            assert county_changes(county) == before + 1
            assert [u.status for u in second.report.uploads] == ["applied"]
            # while the upload was under way the line never claimed success
            assert app.sentences and all("已同步" not in s for s in app.sentences)
            assert any(s == "sending" and total > 0 and done == total for s, done, total in steps)
            assert ("upload", 1, 1) in steps and ("download", 1, 1) in steps
            assert app.sentence().startswith("已同步")
            assert app.syncer.state.pending == 0
            assert any("已确认收到" in line for line in app.panel.report_lines())
        finally:
            db.close()


def test_a_refused_bundle_is_named_and_never_called_synced(
    county: Path, tmp_path: Path, make_app: Any
) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "b.db", url)
        try:
            seed_households(db, 1, village=OTHER_VILLAGE, start=9)  # not this laptop's village
            app = make_app(db)
            app.set_server(url, auto=False)
            before = county_changes(county)
            attempt = app.sync_now()
            assert attempt.outcome == st.REFUSED
            assert "无权修改" in attempt.message
            assert "县服务器没有全部接收" in app.sentence() and "无权修改" in app.sentence()
            assert "已同步" not in app.sentence()
            assert county_changes(county) == before  # all-or-nothing: nothing applied
            assert any("本机数据都还在" in line for line in app.panel.report_lines())
            assert app.syncer.state.pending > 0
        finally:
            db.close()


def test_server_down_is_reported_and_retried_with_backoff_until_it_answers(
    county: Path, tmp_path: Path, make_app: Any
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(create_app(county), port):
        db = enroll_laptop(county, tmp_path / "c.db", url)
    try:
        schedule = RetrySchedule(period=3600, first_retry=0.6, cap=5, rng=random.Random(7))
        app = make_app(db, schedule)
        finished: list[Any] = []
        app.syncer.finished.connect(finished.append)
        app.set_server(url, auto=True)  # saving the address tries at once
        app.qtbot.waitUntil(lambda: len(finished) >= 1, timeout=10000)
        first = finished[0]
        assert first.outcome == st.UNREACHABLE
        assert "连不上县服务器" in app.sentence() and "秒后自动重试" in app.sentence()
        assert "已同步" not in app.sentence()
        assert schedule.failures == 1
        wait = app.syncer.state.next_at - time.time()
        assert 0.2 <= wait <= 0.6  # half to all of the first retry delay (jitter)
        assert app.panel.sync_button.isEnabled()

        app.qtbot.waitUntil(lambda: len(finished) >= 2, timeout=10000)  # retried by itself
        assert finished[1].outcome == st.UNREACHABLE and schedule.failures == 2
        assert schedule.nominal() == pytest.approx(1.2)  # the wait doubled

        with serving(create_app(county), port):
            app.qtbot.waitUntil(
                lambda: finished[-1].outcome == st.SYNCED, timeout=15000
            )  # the next scheduled attempt gets through
            assert schedule.failures == 0
            assert app.sentence().startswith("已同步")
            assert set(households(db)) == {f"{VILLAGE}{i:04d}" for i in range(3)}
    finally:
        db.close()


def test_saves_are_synced_in_the_background_once_they_settle(
    county: Path, tmp_path: Path, make_app: Any
) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "d.db", url)
        try:
            app = make_app(db, settle_s=0.3)
            finished: list[Any] = []
            app.syncer.finished.connect(finished.append)
            app.set_server(url, auto=True)
            app.qtbot.waitUntil(lambda: len(finished) == 1, timeout=10000)
            assert finished[0].outcome == st.SYNCED
            before = county_changes(county)
            with db.read() as conn:
                row = conn.execute(text("SELECT id FROM household LIMIT 1")).scalar_one()
            app.ctx.run_op(
                "改电话", lambda uow: uow.update("household", row, {"phone": "13900139000"})
            )
            app.qtbot.waitUntil(lambda: len(finished) == 2, timeout=10000)  # nobody clicked
            assert finished[1].outcome == st.SYNCED
            assert county_changes(county) == before + 1
            assert app.sentence().startswith("已同步")
        finally:
            db.close()


def test_cancel_and_quit_during_a_sync_lose_nothing(
    county: Path, tmp_path: Path, make_app: Any, qtbot: Any
) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "e.db", url)
        try:
            app = make_app(db)
            app.set_server(url, auto=False)
            assert app.sync_now().outcome == st.SYNCED
            seed_households(db, 2, village=VILLAGE, start=20)
            app.ctx.data_changed.emit([])  # as a save would: the pending count is re-read
            app.qtbot.waitUntil(lambda: app.syncer.state.pending > 0, timeout=5000)
            pending = app.syncer.state.pending
            before = county_changes(county)

            # cancel the moment the bundle's bytes are handed over (on the sync thread itself)
            app.syncer._step.connect(
                lambda step, *_a: app.syncer.cancel() if step == "sending" else None,
                Qt.ConnectionType.DirectConnection,
            )
            cancelled = app.sync_now()
            assert cancelled.outcome == st.CANCELLED
            assert cancelled.report.uploads == []  # stopped inside the upload
            assert "同步已取消" in app.sentence() and "已同步" not in app.sentence()
            settle(app.ctx)
            assert app.syncer.state.pending == pending  # nothing acknowledged by the cancel
            # the server may or may not have received the whole body before the cut
            assert county_changes(county) in (before, before + pending)
            app.syncer._step.disconnect()
            app.syncer._step.connect(app.syncer.progressed)

            again = app.sync_now()  # the same bundle again: applied once, never twice
            assert again.outcome == st.SYNCED, again.message
            assert app.syncer.state.pending == 0
            assert county_changes(county) == before + pending  # exactly once

            # quitting the main window mid-sync: the sync thread is stopped and waited for
            window: Any = MainWindow(app.ctx)  # the sync hook adds its attributes
            qtbot.addWidget(window)
            window.show()
            window.start()
            settle(app.ctx)
            syncer = window.online_sync
            syncer.state = syncer.state.with_(server=url)
            seed_households(db, 1, village=VILLAGE, start=40)
            before, waiting = county_changes(county), pending_change_count(db)
            assert syncer.sync_now()
            window.close()  # cancels and waits for the sync thread
            assert not syncer.is_running()
            assert not syncer.sync_now()  # a closed window starts nothing new
            final = app.sync_now()
            assert final.outcome == st.SYNCED
            assert county_changes(county) == before + waiting  # all of it, exactly once
            with db.read() as conn:
                left = conn.execute(text("SELECT count(*) FROM change_log WHERE acked = 0"))
                assert left.scalar_one() == 0
        finally:
            db.close()


def test_main_window_status_bar_and_menu(county: Path, tmp_path: Path, qtbot: Any) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "f.db", url)
        runner = TaskRunner()
        ctx = AppContext(db, runner)
        try:
            window: Any = MainWindow(ctx)  # the sync hook adds its attributes
            qtbot.addWidget(window)
            window.show()
            window.start()
            settle(ctx)
            assert not window.online_status.isVisible()  # no address yet: nothing to say
            dialog = open_online_tab(window)
            assert dialog.tabs.currentWidget() is dialog.online
            dialog.online.server_edit.setText(url)
            with qtbot.waitSignal(window.online_sync.finished, timeout=20000):
                qtbot.mouseClick(dialog.online.save_button, Qt.MouseButton.LeftButton)
            settle(ctx)
            assert window.online_status.isVisible()
            assert window.online_status.label.text().startswith("已同步")
            assert "县服务器已确认全部修改" in window.online_status.label.toolTip()
            window.refresh()
            settle(ctx)
            assert window.model.rowCount() == 3  # the county's households, reloaded
            with qtbot.waitSignal(window.online_sync.finished, timeout=20000) as blocker:
                window.sync_now_action.trigger()
            assert blocker.args[0].outcome == st.SYNCED and blocker.args[0].report.nothing_new
            window.close()
        finally:
            runner.wait_idle(20)
            runner.shutdown()
            db.close()


def test_usb_and_online_exchanges_take_turns(
    county: Path, tmp_path: Path, make_app: Any, qtbot: Any
) -> None:
    with serving(create_app(county)) as url:
        db = enroll_laptop(county, tmp_path / "g.db", url)
        try:
            app = make_app(db)
            app.set_server(url, auto=True)
            app.qtbot.waitUntil(lambda: app.syncer.state.outcome == st.SYNCED, timeout=10000)
            stick = tmp_path / "stick"
            stick.mkdir()
            with exchange_turn() as ours:  # the other exchange is running
                assert ours
                attempt = app.sync_now()
                assert attempt.outcome == st.BUSY
                assert "正在用 U 盘交换" in app.sentence()
                assert 25 <= app.syncer.state.next_at - time.time() <= 30  # soon, no backoff
                assert app.syncer.schedule.failures == 0

                panel = app.window.exchange
                panel.folder_edit.setText(str(stick))
                with qtbot.waitSignal(panel.finished, timeout=15000):
                    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
                lines = panel.report_lines()
                assert any("正在与县服务器在线同步" in line for line in lines)
                assert not panel.safe_label.isVisible()
                assert not (stick / "Doorstep").exists()  # nothing was written
            assert app.sync_now().outcome == st.SYNCED  # its turn again
        finally:
            db.close()


def test_a_malformed_address_is_refused_and_not_kept(tmp_path: Path, make_app: Any) -> None:
    db = open_database(tmp_path / "h.db")
    try:
        app = make_app(db)
        app.set_server("县里:8700", auto=True)
        assert app.panel.address_error.isVisible()
        assert "应以 http:// 或 https:// 开头" in app.panel.address_error.text()
        assert app.syncer.state.server == "" and not app.syncer.is_running()
        assert "还没有设置县服务器地址" in app.sentence()
        assert load_settings(db).server == ""  # nothing saved
    finally:
        db.close()


def test_a_laptop_not_yet_enrolled_says_so_then_syncs_once_enrolled(
    county: Path, tmp_path: Path, make_app: Any
) -> None:
    with serving(create_app(county)) as url:
        db = open_database(tmp_path / "i.db")
        try:
            app = make_app(db)
            finished: list[Any] = []
            app.syncer.finished.connect(finished.append)
            app.set_server(url, auto=True)
            app.qtbot.waitUntil(lambda: len(finished) == 1, timeout=10000)
            assert finished[0].outcome == st.NOT_ENROLLED
            assert "本机还没有登记到县里" in app.sentence()
            assert app.syncer.schedule.failures == 0  # nothing to retry until it is enrolled
            enroll_online(db, url, "王五", issue(county, [VILLAGE]))
            app.window.enrollment.load()  # what the 本机登记 tab does after installing
            app.qtbot.waitUntil(lambda: len(finished) == 2, timeout=10000)
            assert finished[1].outcome == st.SYNCED, finished[1].message
            assert app.sentence().startswith("已同步")
        finally:
            db.close()
