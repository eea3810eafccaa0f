"""Backups on a large county: the start-up check, a backup and a restore, beside raw SQLite.

Usage: python tests/bench/bench_backup.py [--db PATH] [--households 10000] [--encrypted]
Builds a demo county if the file does not exist (a copy is used: the file is not changed). Each
Doorstep figure is printed beside a baseline from the same run: the raw sqlite3 backup API and a
plain file copy for a backup, raw ``PRAGMA quick_check`` / ``integrity_check`` for the checks.
With ``--encrypted`` the copy is first encrypted (SQLCipher) and the figures are for that.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench-passphrase"


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def raw_pragma(path: Path, pragma: str) -> float:
    conn = sqlite3.connect(path)
    seconds, rows = timed(lambda: conn.execute(f"PRAGMA {pragma}").fetchall())
    conn.close()
    assert rows == [("ok",)], rows
    return seconds


def raw_backup(path: Path, target: Path) -> float:
    source, copy = sqlite3.connect(path), sqlite3.connect(target)
    seconds, _ = timed(lambda: source.backup(copy))
    source.close()
    copy.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/doorstep-bench-10k.db"))
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--encrypted", action="store_true")
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
            cwd=ROOT,
        )
    from desktop.core.backup import check_database, restore_backup, take_backup
    from desktop.core.crypto.keys import KdfParams
    from desktop.core.database import Database, open_database

    work = Path(tempfile.mkdtemp(prefix="doorstep-bench-backup-"))
    try:
        path = work / "doorstep.db"
        shutil.copyfile(args.db, path)
        size = path.stat().st_size / 1e6
        print(f"database: {size:.0f} MB ({args.db})")
        raw_pragma(path, "quick_check")  # warm the page cache: both sides then read from memory
        baseline_copy, _ = timed(lambda: shutil.copyfile(path, work / "plain-copy.db"))
        baseline_backup = raw_backup(path, work / "api-copy.db")
        raw_quick = raw_pragma(path, "quick_check")
        raw_full = raw_pragma(path, "integrity_check")
        for leftover in ("plain-copy.db", "api-copy.db"):
            (work / leftover).unlink()
        key = None
        if args.encrypted:
            from desktop.core.crypto.manage import encrypt_existing

            seconds, _ = timed(lambda: encrypt_existing(path, PASSPHRASE, kdf=KdfParams()))
            print(f"encrypting the copy (once): {seconds:.1f} s")
        db = Database.open(path, passphrase=PASSPHRASE) if args.encrypted else open_database(path)
        key = db.data_key
        check_database(path, key)  # warm, as for the raw figures
        quick = check_database(path, key)
        full = check_database(path, key, full=True)
        print(
            f"start-up quick_check: {quick.seconds:.2f} s   raw sqlite3 {raw_quick:.2f} s"
            f"   ratio {quick.seconds / raw_quick:.2f}"
        )
        print(
            f"integrity_check:      {full.seconds:.2f} s   raw sqlite3 {raw_full:.2f} s"
            f"   ratio {full.seconds / raw_full:.2f}"
        )
        seconds, result = timed(lambda: take_backup(db, work / "backups", "manual"))
        db.close()
        print(
            f"backup ({result.manifest.scheme}): {seconds:.2f} s   raw backup API {baseline_backup:.2f} s"
            f" (ratio {seconds / baseline_backup:.1f}), file copy {baseline_copy:.2f} s"
            f" (ratio {seconds / baseline_copy:.1f});"
            f" the backup also runs integrity_check, encrypts and reads back"
        )
        seconds, _ = timed(lambda: restore_backup(result.path, path, key=key))
        print(f"restore: {seconds:.2f} s (hash, decrypt, integrity_check, swap, open)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
