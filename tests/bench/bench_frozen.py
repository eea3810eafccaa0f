"""Benchmark: the frozen app (installers/build.py) against the same app run from source.

    .venv/bin/python tests/bench/bench_frozen.py                # builds dist/doorstep/ if missing
    .venv/bin/python tests/bench/bench_frozen.py --build        # rebuild first (and time the build)
    .venv/bin/python tests/bench/bench_frozen.py --runs 9 --households 2000

Measures, over several runs (median; one warm-up run of each is not counted):

- time to a usable main window: from starting the process until it prints that the window is
  usable (the tree and the first page of the household list on screen, offscreen platform;
  closing it afterwards is not counted), two ways: ``doorstep --self-test --only app --db DEMO``
  (the whole start-up of ``doorstep --db DEMO``: restore check, opening, the main window, the
  backup service) and ``--only window`` (just the main window on an open database) — the frozen
  build beside ``python -m desktop`` from the checkout, the same code in the same run, on the same
  demo county;
- the build: folder size (target under 250 MB) and, with --build, the build time.

Targets (issue 8): usable window under 2 s; build under 250 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FROZEN = ROOT / "dist" / "doorstep" / ("doorstep.exe" if sys.platform == "win32" else "doorstep")
WINDOW_TARGET_S = 2.0
SIZE_TARGET_MB = 250.0


def build(timed: bool) -> float | None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "installers" / "build.py"), "--no-tarball"], check=True
    )
    return time.perf_counter() - started if timed else None


def demo_database(households: int) -> Path:
    """A demo county built once from source and reused by later runs."""
    from desktop.core.database import open_database
    from desktop.core.demo import generate_demo

    path = Path(tempfile.gettempdir()) / "doorstep-bench" / f"frozen-{households}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        db = open_database(partial)
        try:
            generate_demo(db, households, 2021)
            with db.read() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        partial.replace(path)
    return path


def children_cpu() -> float:
    """CPU seconds used by finished child processes (0 where the platform does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_window(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning ``command`` until it prints the window step's result line, and the
    CPU seconds the whole process used (less sensitive to a busy machine than wall time)."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    ready_at = None
    for line in process.stdout:
        if ready_at is None and line.startswith("  主窗口可用"):  # printed when usable
            ready_at = time.perf_counter() - started
        if line.startswith("[失败]"):
            raise SystemExit(f"window step failed: {line.strip()}")
    process.wait()
    if process.returncode != 0 or ready_at is None:
        raise SystemExit(f"{command[0]} failed: {process.stderr.read() if process.stderr else ''}")
    return ready_at, children_cpu() - cpu_before


def folder_size_mb(path: Path) -> float:
    return (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="rebuild dist/doorstep/ first")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--households", type=int, default=2000)
    args = parser.parse_args()

    build_seconds = build(timed=True) if args.build or not FROZEN.exists() else None
    database = demo_database(args.households)
    home = Path(tempfile.mkdtemp(prefix="doorstep-bench-home-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env["DOORSTEP_LANG"] = "zh_CN"  # the ready line is matched in Chinese
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
    )
    commands = {}
    for step in ("app", "window"):
        step_args = ["--self-test", "--only", step, "--db", str(database)]
        commands[f"{step}, frozen"] = [str(FROZEN), *step_args]
        commands[f"{step}, source"] = [sys.executable, "-m", "desktop", *step_args]
    timings: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        time_to_window(command, env)  # warm-up: file cache, fontconfig cache
    for _ in range(args.runs):
        for name, command in commands.items():  # interleaved, so load affects both alike
            wall, used = time_to_window(command, env)
            timings[name].append(wall)
            cpu[name].append(used)

    frozen, source = (statistics.median(timings[f"app, {n}"]) for n in ("frozen", "source"))
    size = folder_size_mb(FROZEN.parent)
    print(f"demo county: {args.households} households; {args.runs} runs each, median (min-max)")
    for name in commands:
        values = timings[name]
        print(
            f"  usable window ({name:14s}): {statistics.median(values):.2f} s"
            f" ({min(values):.2f}-{max(values):.2f}); CPU {statistics.median(cpu[name]):.2f} s"
        )
    print(
        f"  app start, frozen / source: {frozen / source:.2f}x"
        f"   target < {WINDOW_TARGET_S:.1f} s: {'met' if frozen < WINDOW_TARGET_S else 'MISSED'}"
    )
    print(
        f"build size: {size:.1f} MB   target < {SIZE_TARGET_MB:.0f} MB:"
        f" {'met' if size < SIZE_TARGET_MB else 'MISSED'}"
    )
    if build_seconds is not None:
        print(f"build time: {build_seconds:.0f} s")
    print(f"(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
