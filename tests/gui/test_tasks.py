"""The worker: results on the GUI thread, superseding, errors, progress and cancel."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QThread

from desktop.core.services.errors import ServiceError
from desktop.ui.tasks import TaskContext, TaskRunner


def test_work_runs_off_the_gui_thread_and_results_come_back_on_it(qtbot: Any) -> None:
    runner = TaskRunner()
    try:
        gui = QThread.currentThread()
        seen: dict[str, Any] = {}

        def work() -> int:
            seen["worker"] = threading.current_thread().name
            return 42

        def done(value: int) -> None:
            seen["value"], seen["gui"] = value, QThread.currentThread() is gui

        runner.submit(work, done)
        assert runner.wait_idle(5)
        assert seen["value"] == 42 and seen["gui"]
        assert seen["worker"] != threading.main_thread().name
    finally:
        runner.shutdown()


def test_a_newer_task_with_the_same_key_supersedes_queued_ones(qtbot: Any) -> None:
    runner = TaskRunner()
    try:
        gate = threading.Event()
        ran: list[str] = []
        delivered: list[str] = []
        runner.submit(lambda: gate.wait(5))
        for name in ("a", "b", "c"):
            runner.submit(lambda n=name: ran.append(n) or n, delivered.append, key="search")
        gate.set()
        assert runner.wait_idle(5)
        assert ran == ["c"] and delivered == ["c"]  # a and b never ran: nobody waits for them
    finally:
        runner.shutdown()


def test_errors_reach_the_handler_or_the_failed_signal(qtbot: Any) -> None:
    runner = TaskRunner()
    try:
        caught: list[BaseException] = []
        runner.submit(lambda: 1 / 0, on_error=caught.append)
        with qtbot.waitSignal(runner.failed, timeout=5000) as failed:
            runner.submit(lambda: (_ for _ in ()).throw(ServiceError("这一户已清退，不能修改。")))
        assert isinstance(caught[0], ZeroDivisionError)
        assert failed.args == ["这一户已清退，不能修改。"]
        with qtbot.waitSignal(runner.failed, timeout=5000) as failed:
            runner.submit(lambda: [][1])
        assert "程序出错" in failed.args[0] and "IndexError" in failed.args[0]
        done: list[int] = []
        runner.submit(lambda: 7, done.append)  # the worker survived
        assert runner.wait_idle(5) and done == [7]
    finally:
        runner.shutdown()


def test_long_work_reports_progress_and_stops_when_cancelled(qtbot: Any) -> None:
    runner = TaskRunner()
    try:
        progress: list[tuple[int, int]] = []
        finished: list[Any] = []

        def long_work(context: TaskContext) -> int:
            for step in range(1, 1000):
                context.check()
                context.progress(step, 1000, "正在处理")
                time.sleep(0.002)
            return -1

        with qtbot.waitSignal(runner.long_task_started, timeout=5000) as started:
            task = runner.submit(
                long_work,
                finished.append,
                on_progress=lambda d, t, _x: progress.append((d, t)),
                label="生成",
                wants_context=True,
            )
        assert started.args[0] is task
        qtbot.waitUntil(lambda: len(progress) >= 2, timeout=5000)
        with qtbot.waitSignal(runner.long_task_finished, timeout=5000):
            task.cancel()
        assert finished == []  # a cancelled task delivers nothing
        assert progress[-1][0] < 999
    finally:
        runner.shutdown()


def test_synchronous_mode_runs_inline(qtbot: Any) -> None:
    runner = TaskRunner(synchronous=True)
    out: list[int] = []
    runner.submit(lambda: 5, out.append)
    assert out == [5] and not runner.is_busy()
