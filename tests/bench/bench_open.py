"""Opening the database and reading the first 100 households of a village (target: under 100 ms).

Usage: python tests/bench/bench_open.py [--db PATH] [--households 10000]
Builds a demo county if the file does not exist. Each measurement runs in a fresh process, so the
figure includes Python's imports of the core and SQLite's cold open of the file; the baseline is the
same query through the raw sqlite3 module in a fresh process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

DOORSTEP = r"""
import sys, time
t0 = time.perf_counter()
from desktop.core.database import open_database
from desktop.core.queries.households import list_households
t1 = time.perf_counter()
db = open_database(sys.argv[1], create=False)
rows = list_households(db, village_code=sys.argv[2], limit=100)
t2 = time.perf_counter()
assert len(rows) == 100, len(rows)
print(f"{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f}")
"""

RAW = r"""
import sys, time, sqlite3
t0 = time.perf_counter()
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute(
    "SELECT number, head_name, size, category, status, main_cause FROM household "
    "WHERE village_code = ? AND voided = 0 ORDER BY number LIMIT 100", (sys.argv[2],)).fetchall()
t1 = time.perf_counter()
assert len(rows) == 100
print(f"0 {(t1 - t0) * 1000:.1f}")
"""


def measure(script: str, db: Path, village: str, runs: int) -> tuple[list[float], list[float]]:
    imports, opens = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", script, str(db), village],
            capture_output=True,
            text=True,
            check=True,
        )
        first, second = out.stdout.split()
        imports.append(float(first))
        opens.append(float(second))
    return imports, opens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/doorstep-bench-10k.db"))
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not args.db.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "desktop",
                "demo",
                "--db",
                str(args.db),
                "--households",
                str(args.households),
                "--seed",
                "1",
            ],
            check=True,
        )
    import sqlite3

    conn = sqlite3.connect(args.db)
    village = conn.execute(
        "SELECT village_code FROM household GROUP BY village_code HAVING count(*) >= 100 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    total = conn.execute("SELECT count(*) FROM household").fetchone()[0]
    conn.close()
    imports, opens = measure(DOORSTEP, args.db, village, args.runs)
    _, raw = measure(RAW, args.db, village, args.runs)
    print(f"households in file: {total}; village {village}")
    print(
        f"doorstep open + first 100 households: median {statistics.median(opens):.1f} ms (target < 100 ms)"
    )
    print(
        f"  (python imports of the core, before that: median {statistics.median(imports):.0f} ms)"
    )
    print(f"raw sqlite3 connect + same query:     median {statistics.median(raw):.1f} ms")
    print(
        f"ratio doorstep / raw: {statistics.median(opens) / max(statistics.median(raw), 0.01):.1f}x"
    )


if __name__ == "__main__":
    main()
