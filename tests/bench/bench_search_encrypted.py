"""Benchmark: the core search benchmark on a plain and an encrypted copy of the same county.

    .venv/bin/python tests/bench/bench_search_encrypted.py --households 10000

Builds bench_search's synthetic county once (plain), copies it and encrypts the copy with
``encrypt_existing`` (SQLCipher, the same rows, the same search index), then runs bench_search's
mixed query set through ``search()`` on both, alternating plain and encrypted passes so machine
noise falls on both alike; each query keeps its best pass. Prints p50/p95 per side and the ratio.
Also prints what unlocking costs once per start (Argon2id) beside a plain open.

Target (issue 8): encrypted search at most 1.5x slower than plain.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop.core.crypto.manage import encrypt_existing  # noqa: E402
from desktop.core.database import open_database  # noqa: E402
from desktop.core.search import search  # noqa: E402
from tests.bench.bench_search import County, percentile, query_set  # noqa: E402

PASSPHRASE = "bench-passphrase-2024"


def build(households: int, seed: int, folder: Path) -> tuple[Path, Path]:
    plain = folder / f"plain-{households}-{seed}.db"
    encrypted = folder / f"encrypted-{households}-{seed}.db"
    if not plain.exists():
        started = time.perf_counter()
        db = open_database(plain)
        County(households, seed).build(db)
        db.close()
        print(f"built {households} households in {time.perf_counter() - started:.1f} s")
    if not encrypted.exists():
        source, target = sqlite3.connect(plain), sqlite3.connect(encrypted)
        source.backup(target)
        source.close()
        target.close()
        started = time.perf_counter()
        encrypt_existing(encrypted, PASSPHRASE)
        print(f"encrypted a copy in {time.perf_counter() - started:.1f} s")
    return plain, encrypted


def timed_open(path: Path, passphrase: str | None) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        open_database(path, passphrase=passphrase).close()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="passes per side; best one counts")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/doorstep-bench-encrypted"))
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    plain_path, encrypted_path = build(args.households, args.seed, args.folder)

    print(
        f"open (best of 3, ms): plain {timed_open(plain_path, None):.0f}, "
        f"encrypted {timed_open(encrypted_path, PASSPHRASE):.0f} (includes Argon2id 64 MiB)"
    )
    plain = open_database(plain_path)
    encrypted = open_database(encrypted_path, passphrase=PASSPHRASE)
    raw = sqlite3.connect(plain_path)
    queries = query_set(raw, args.queries, args.seed)
    raw.close()
    for db in (plain, encrypted):
        for _kind, q in queries[:20]:
            search(db, q)
        assert [h.household_id for h in search(plain, queries[0][1])] == [
            h.household_id for h in search(encrypted, queries[0][1])
        ]

    best = {"plain": [float("inf")] * len(queries), "encrypted": [float("inf")] * len(queries)}
    for _round in range(args.rounds):
        for side, db in (("plain", plain), ("encrypted", encrypted)):
            for i, (_kind, q) in enumerate(queries):
                started = time.perf_counter()
                search(db, q)
                best[side][i] = min(best[side][i], (time.perf_counter() - started) * 1000)
    plain.close()
    encrypted.close()

    kinds: dict[str, dict[str, list[float]]] = {}
    for i, (kind, _q) in enumerate(queries):
        for side in best:
            kinds.setdefault(kind, {}).setdefault(side, []).append(best[side][i])
    print(f"{len(queries)} queries on {args.households} households; times in ms")
    print(
        f"{'kind':<14}{'plain p50':>10}{'p95':>8}{'encrypted p50':>15}{'p95':>8}{'ratio p95':>11}"
    )
    for kind, sides in kinds.items():
        p, e = sides["plain"], sides["encrypted"]
        print(
            f"{kind:<14}{percentile(p, 0.5):>10.3f}{percentile(p, 0.95):>8.3f}"
            f"{percentile(e, 0.5):>15.3f}{percentile(e, 0.95):>8.3f}"
            f"{percentile(e, 0.95) / percentile(p, 0.95):>10.2f}x"
        )
    p, e = best["plain"], best["encrypted"]
    print(
        f"{'ALL':<14}{percentile(p, 0.5):>10.3f}{percentile(p, 0.95):>8.3f}"
        f"{percentile(e, 0.5):>15.3f}{percentile(e, 0.95):>8.3f}"
        f"{percentile(e, 0.95) / percentile(p, 0.95):>10.2f}x"
    )
    ratio50 = percentile(e, 0.5) / percentile(p, 0.5)
    ratio95 = percentile(e, 0.95) / percentile(p, 0.95)
    total = sum(e) / sum(p)
    verdict = "within" if max(ratio50, ratio95, total) <= 1.5 else "OVER"
    print(
        f"encrypted / plain: p50 {ratio50:.2f}x, p95 {ratio95:.2f}x, total time {total:.2f}x "
        f"({verdict} the 1.5x target)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
