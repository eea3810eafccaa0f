"""Benchmark: ``doorstep check`` over a whole county.

    .venv/bin/python tests/bench/bench_checks.py --households 10000
    .venv/bin/python tests/bench/bench_checks.py --households 10000 --db /tmp/county.db

Builds the demo county (``desktop.core.demo.generate_demo``: realistic members, incomes, helpers,
visits and about 4% planted data problems) unless ``--db`` names a file that already holds one,
then times the command as a user runs it (``doorstep check --db PATH --json``: open, read, check
every rule, replace the stored findings, print) and its parts. The baseline, measured in the same
run, is a raw ``sqlite3`` read of the same rows the checks read, so the ratio says what the rules
themselves cost on top of touching the data.

Target (issue 2): 10,000 households (about 40,000 members) under 5 s on a 2-core machine.
It also reports how many of the demo's planted problems the checks found (all should be).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop.core.database import open_database  # noqa: E402
from desktop.core.demo.generator import generate_demo  # noqa: E402
from desktop.core.rules.checks import run_checks, store_findings  # noqa: E402
from desktop.core.rules.checks_load import (  # noqa: E402
    HOUSEHOLD_COLUMNS,
    INCOME_COLUMNS,
    MEMBER_COLUMNS,
)
from desktop.core.rules.cli_command import register_check_command  # noqa: E402

TARGET_SECONDS = 5.0


def raw_read(path: Path) -> float:
    """The baseline: fetch the same rows with plain sqlite3 and do nothing with them."""
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    try:
        for sql in (
            f"SELECT {HOUSEHOLD_COLUMNS} FROM household WHERE voided = 0",
            f"SELECT {MEMBER_COLUMNS} FROM member WHERE voided = 0 AND left_reason IS NULL",
            f"SELECT {INCOME_COLUMNS} FROM income WHERE voided = 0",
            "SELECT household_id, MAX(visit_date) FROM visit WHERE voided = 0 GROUP BY household_id",
            "SELECT DISTINCT household_id FROM helper_assignment WHERE voided = 0",
        ):
            conn.execute(sql).fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


def run_command(path: Path) -> tuple[float, int]:
    """``doorstep check --db PATH --json`` in-process, output captured; (seconds, exit code)."""
    from desktop.cli import run_handler

    parser = argparse.ArgumentParser(prog="doorstep")
    register_check_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", "--db", str(path), "--json"])
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = run_handler(args)
    return time.perf_counter() - started, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="reuse or create this file")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="doorstep-bench-")
    path = options.db or Path(workdir.name) / "county.db"
    db = open_database(path)
    planted = []
    with db.read() as conn:
        existing = conn.exec_driver_sql("SELECT COUNT(*) FROM household").scalar() or 0
    if existing:
        print(f"using {path}: {existing:,} households already there")
    else:
        started = time.perf_counter()
        summary = generate_demo(db, options.households, options.seed, today=date.today())
        planted = summary.planted
        print(
            f"demo county: {summary.households:,} households, {summary.members:,} members "
            f"in {time.perf_counter() - started:.1f} s"
        )
    with db.read() as conn:
        members = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM member WHERE voided = 0 AND left_reason IS NULL"
        ).scalar()
    households = existing or options.households

    reads, checks, cpus, stores, commands = [], [], [], [], []
    findings = []
    for _ in range(options.repeat):
        reads.append(raw_read(path))
        started, cpu = time.perf_counter(), time.process_time()
        findings = run_checks(db)
        checks.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        started = time.perf_counter()
        store_findings(db, findings)
        stores.append(time.perf_counter() - started)
        seconds, code = run_command(path)
        assert code == 0, code
        commands.append(seconds)
    db.close()

    best = min
    print(
        f"county: {households:,} households, {members:,} current members; "
        f"{len(findings):,} findings"
    )
    print(f"baseline raw sqlite3 read of the same rows: {best(reads) * 1000:8.1f} ms")
    print(
        f"run_checks (read + every rule):              {best(checks) * 1000:8.1f} ms "
        f"({best(checks) / best(reads):.1f}x the raw read)"
    )
    print(
        f"run_checks CPU time (this process only):     {best(cpus) * 1000:8.1f} ms "
        "(wall time above includes waiting for a busy CPU)"
    )
    print(f"store_findings (replace {len(findings):,} rows):       {best(stores) * 1000:8.1f} ms")
    print(
        f"doorstep check --json (open, check, store, print): {best(commands):.2f} s best, "
        f"{statistics.median(commands):.2f} s median — target < {TARGET_SECONDS:.0f} s: "
        f"{'OK' if max(commands) < TARGET_SECONDS else 'MISSED'}"
    )
    if planted:
        found = {(f.rule, f.household_id) for f in findings}
        hits = sum((p.rule, p.household_id) in found for p in planted)
        print(f"planted demo problems found by their rule: {hits}/{len(planted)}")
        missed = [p for p in planted if (p.rule, p.household_id) not in found]
        for problem in missed[:10]:
            print(f"  missed {problem.rule} in {problem.household_number}: {problem.description}")
    workdir.cleanup()
    return 0 if max(commands) < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
