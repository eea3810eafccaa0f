"""Benchmark: eligibility flags, rubric scores and exit checklists for a whole county.

    .venv/bin/python tests/bench/bench_targeting.py --households 10000
    .venv/bin/python tests/bench/bench_targeting.py --households 10000 --db /tmp/county.db

Builds the demo county (``desktop.core.demo.generate_demo``) unless ``--db`` names a file that
already holds one, then times ``evaluate_county`` (one bulk read of households, members, incomes,
latest visits and commitments, then every flag, the rubric score and ranking, and the exit
checklist for every household) and the "today" reminders. The baseline, measured in the same run,
is a raw ``sqlite3`` read of the same rows, so the ratio says what the rules cost on top of
touching the data.

Target (issue 7): 10,000 households under 5 s.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop.core.database import open_database  # noqa: E402
from desktop.core.demo.generator import generate_demo  # noqa: E402
from desktop.core.targeting.config import default_config  # noqa: E402
from desktop.core.targeting.facts import (  # noqa: E402
    COMMITMENT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    INCOME_COLUMNS,
    MEMBER_COLUMNS,
    VISIT_COLUMNS,
)
from desktop.core.targeting.reminders import today_view  # noqa: E402
from desktop.core.targeting.service import evaluate_county  # noqa: E402

TARGET_SECONDS = 5.0


def raw_read(path: Path) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    try:
        for sql in (
            f"SELECT {HOUSEHOLD_COLUMNS} FROM household WHERE voided = 0",
            f"SELECT {MEMBER_COLUMNS} FROM member WHERE voided = 0 AND left_reason IS NULL",
            f"SELECT {INCOME_COLUMNS} FROM income WHERE voided = 0",
            f"SELECT {VISIT_COLUMNS} FROM visit WHERE voided = 0",
            f"SELECT {COMMITMENT_COLUMNS} FROM commitment WHERE voided = 0",
        ):
            conn.execute(sql).fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


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
    with db.read() as conn:
        existing = conn.exec_driver_sql("SELECT COUNT(*) FROM household").scalar() or 0
    if existing:
        print(f"using {path}: {existing:,} households already there")
    else:
        started = time.perf_counter()
        summary = generate_demo(db, options.households, options.seed, today=date.today())
        print(
            f"demo county: {summary.households:,} households, {summary.members:,} members "
            f"in {time.perf_counter() - started:.1f} s"
        )
    default_config()  # rule files are read once per process, not per run

    reads, runs, cpus, todays = [], [], [], []
    result = None
    for _ in range(options.repeat):
        reads.append(raw_read(path))
        started, cpu = time.perf_counter(), time.process_time()
        result = evaluate_county(db)
        runs.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        started = time.perf_counter()
        view = today_view(db)
        todays.append(time.perf_counter() - started)
    db.close()
    assert result is not None

    households = len(result.flags)
    flags = Counter(f.code for h in result.flags for f in h.flags)
    ready = sum(c.ready for c in result.checklists)
    print(
        f"county: {households:,} households; {sum(flags.values()):,} flags on "
        f"{sum(1 for h in result.flags if h.flags):,} households; "
        f"{ready:,} exit checklists fully met; top score {result.scores[0].total:g}"
    )
    for code, count in flags.most_common():
        print(f"  {code:28} {count:6,}")
    print(f"baseline raw sqlite3 read of the same rows:      {min(reads) * 1000:8.1f} ms")
    print(
        f"evaluate_county (read + flags + scores + exit):  {min(runs) * 1000:8.1f} ms "
        f"({min(runs) / min(reads):.1f}x the raw read), CPU {min(cpus) * 1000:.1f} ms"
    )
    print(
        f"today_view (visits, commitments, deadlines, steps): {min(todays) * 1000:8.1f} ms "
        f"({len(view.reminders):,} reminders)"
    )
    ok = max(runs) < TARGET_SECONDS
    print(
        f"flags, scores and checklists: {min(runs):.2f} s best, {statistics.median(runs):.2f} s "
        f"median — target < {TARGET_SECONDS:.0f} s: {'OK' if ok else 'MISSED'}"
    )
    workdir.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
