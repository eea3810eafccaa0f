"""Bundle benchmarks: export, verify + decrypt + apply, size, memory with photos.

Run: ``.venv/bin/python tests/bench/bench_bundles.py [--changes 100000] [--photo-mb 2048]
[--names real|digits] [--county]``.
Each figure is printed beside a baseline measured in the same run:

* export 100,000 changes (target < 3 s);
* verify + decrypt + apply the same bundle at a fresh laptop (target < 5 s): the signature,
  age decryption, the hash and parse of every entry, and the merge (``apply_entries``, with the
  search index and household summaries kept right) committed in one transaction; beside raw
  ``sqlite3`` executemany of the same rows and change-log entries into a plain schema, with the
  process's CPU seconds and the load average (on a shared machine the wall time varies with
  what else runs; ``--county`` also times the county's own apply);
* bundle size against the same changes as plain JSON (target < 1/4);
* peak memory (ru_maxrss of a fresh process) exporting and importing a bundle with many photos
  (target < 200 MB); ``--photo-mb`` scales the photo volume, and the scale is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from desktop.core.database import Database, open_database  # noqa: E402
from desktop.core.demo.names import given_name, surname  # noqa: E402
from desktop.core.models import SYNCED, metadata  # noqa: E402
from desktop.sync import keys as keyring  # noqa: E402
from desktop.sync.bundle import open_bundle  # noqa: E402
from desktop.sync.exchange import export_bundles  # noqa: E402
from desktop.sync.merge import ENTRY_COLUMNS, MergeResult, apply_entries  # noqa: E402
from desktop.sync.photostore import photo_path  # noqa: E402
from tests.sync.network import make_network, reopen_network  # noqa: E402
from tests.sync.replicas import VILLAGE  # noqa: E402


def make_changes(db, count: int, names: str = "real") -> None:  # type: ignore[no-untyped-def]
    """A roster's worth of writes: households with four members each, then edits of a tenth of
    the households (a field group and a plain field), until ``count`` entries exist.

    Members get names as the demo county draws them (surname + one or two given characters):
    the search index reads every name's pinyin, and made-up names with digits in them
    ("成员0123", ``names="digits"``) send each one through pypinyin's slow phrase path, which
    no real name takes."""
    households = max(1, int(count * 0.9) // 5)
    heads = [str(uuid.uuid4()) for _ in range(households)]
    rng = random.Random(7)

    def name(i: int, n: int) -> str:
        if names == "digits":
            return f"成员{i}{n}"
        return surname(rng) + given_name(rng, "M" if (i + n) % 2 else "F", 1970 + i * 10)

    people = [[name(i, n) for i in range(4)] for n in range(households)]
    with db.unit_of_work(cadre="基准") as uow:
        ids = uow.insert_many(
            "household",
            (
                {
                    "number": f"{VILLAGE}{n:06d}",
                    "village_code": VILLAGE,
                    "phone": f"138{n:08d}",
                    "housing_area": 60.5,
                    "plan": "发展产业，稳定就业。",
                    "head_member_id": heads[n],
                    "head_name": people[n][0],
                    "size": 4,
                }
                for n in range(households)
            ),
        )
        uow.insert_many(
            "member",
            (
                {
                    "id": heads[n] if i == 0 else str(uuid.uuid4()),
                    "household_id": h,
                    "name": people[n][i],
                    "relation": "head" if i == 0 else "other",
                    "birth_date": date(1970 + i * 10, 1 + n % 12, 1 + n % 28),
                    "sort_order": i,
                }
                for n, h in enumerate(ids)
                for i in range(4)
            ),
        )
    with db.read() as conn:
        have = conn.execute(text("SELECT count(*) FROM change_log")).scalar_one()
    with db.unit_of_work(cadre="基准") as uow:
        n = 0
        while have < count:
            h = ids[n % len(ids)]
            changed = uow.update("household", h, {"main_cause": "illness", "note": f"走访{n}"})
            have += len(changed) + 2  # the cause group has three fields
            n += 1


def plain_json_size(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM change_log ORDER BY rowid")
        ).mappings()
        return len(json.dumps([dict(r) for r in rows], ensure_ascii=False).encode())


def raw_executemany_seconds(db, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """The same rows and log entries written by plain sqlite3 into a plain schema."""
    target = folder / "raw.db"
    create_engine(f"sqlite:///{target}").dispose()
    engine = create_engine(f"sqlite:///{target}")
    metadata.create_all(engine)
    engine.dispose()
    with db.read() as conn:
        tables = {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))]
            for t in ("household", "member")
        }
        log = [
            tuple(r)
            for r in conn.execute(text(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM change_log"))
        ]
    raw = sqlite3.connect(target, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    start = time.perf_counter()
    raw.execute("BEGIN")
    for table, rows in tables.items():
        marks = ", ".join("?" * len(SYNCED[table].__table__.columns))  # type: ignore[attr-defined]
        raw.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    raw.executemany(
        f"INSERT INTO change_log ({', '.join(ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})",
        log,
    )
    raw.execute("COMMIT")
    elapsed = time.perf_counter() - start
    raw.close()
    return elapsed


def laptop_apply(a: Database, county_identity: str, bundle: Path, folder: Path) -> MergeResult:
    """What a laptop does with a bundle of these changes, into a fresh database: verify the
    signature, decrypt, check and parse every entry, merge, commit."""
    signer = keyring.device_keys(a).signing_public
    target = open_database(folder / "B.db")
    try:
        with open_bundle(bundle, [county_identity], folder / "work") as opened:
            opened.verify_signature(signer)
            entries = opened.read_changes()
            with target.unit_of_work() as uow:
                return apply_entries(uow, entries)
    finally:
        target.close()


def bench_changes(count: int, names: str, county: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        net = make_network(root)
        a = net.laptop("A")
        started = time.perf_counter()
        make_changes(a, count, names)
        with a.read() as conn:
            total = conn.execute(text("SELECT count(*) FROM change_log")).scalar_one()
        print(
            f"generated {total:,} changes in {time.perf_counter() - started:.1f} s "
            f"(setup; names: {names})"
        )

        started = time.perf_counter()
        report = export_bundles(a)
        export_s = time.perf_counter() - started
        assert report.new_bundle is not None
        bundle = report.new_bundle.path
        print(
            f"export     {total:,} changes: {export_s:6.2f} s  "
            f"({total / export_s:,.0f} changes/s; target < 3 s)"
        )

        started, cpu = time.perf_counter(), time.process_time()
        result = laptop_apply(a, net.county.age_identity, bundle, root)
        apply_s, apply_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert result.applied == total and result.pending_rows == 0, result
        raw_s = raw_executemany_seconds(a, root)
        print(
            f"verify+decrypt+apply:   {apply_s:6.2f} s  ({total / apply_s:,.0f} changes/s; "
            f"target < 5 s); CPU {apply_cpu:.2f} s"
        )
        print(
            f"raw sqlite3 executemany of the same rows + log: {raw_s:6.2f} s "
            f"({total / raw_s:,.0f} changes/s); ratio {apply_s / raw_s:.1f}x"
        )
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} (2 cores)")
        if county:
            from county.exchange import apply_bundles

            started = time.perf_counter()
            outcome = apply_bundles(net.county, [bundle]).outcomes[0]
            county_s = time.perf_counter() - started
            assert outcome.status == "applied", outcome.message
            print(f"county apply (store):   {county_s:6.2f} s  ({total / county_s:,.0f} changes/s)")
        size = bundle.stat().st_size
        plain = plain_json_size(a)
        print(
            f"bundle size {size / 1e6:6.2f} MB vs plain JSON {plain / 1e6:6.2f} MB: "
            f"{size / plain:.1%} (target < 25%)"
        )
        net.close()


# --------------------------------------------------------------------------------- memory
def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space made at exec,
    unlike ru_maxrss, which a child inherits from the (large) benchmark process that forked it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(kind: str, root: Path) -> None:
    """Run one phase in this (fresh) process and print its peak memory."""
    if kind == "baseline":  # the modules imported and a network opened, nothing exchanged
        net = reopen_network(root, ("A",))
        print(json.dumps({"phase": kind, "seconds": 0.0, "peak_mb": peak_rss_mb()}))
        net.close()
        return
    net = reopen_network(root, ("A",))
    started = time.perf_counter()
    if kind == "export":
        report = export_bundles(net.laptops["A"])
        assert report.new_bundle is not None
        (root / "bundle.txt").write_text(str(report.new_bundle.path))
    else:
        from county.exchange import apply_bundles

        bundle = Path((root / "bundle.txt").read_text())
        outcome = apply_bundles(net.county, [bundle]).outcomes[0]
        assert outcome.status == "applied", outcome.message
    elapsed = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(json.dumps({"phase": kind, "seconds": elapsed, "peak_mb": peak_mb}))
    net.close()


def bench_photos(total_mb: int) -> None:
    photo_kb = 2048  # a phone photo
    count = max(1, total_mb * 1024 // photo_kb)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        net = make_network(root)
        a = net.laptop("A")
        with a.unit_of_work() as uow:
            [household] = uow.insert_many(
                "household", [{"number": f"{VILLAGE}0001", "village_code": VILLAGE}]
            )
            rows = []
            for n in range(count):
                content = os.urandom(16) + n.to_bytes(8, "big")
                blob = content * (photo_kb * 1024 // len(content))
                import hashlib

                sha = hashlib.sha256(blob).hexdigest()
                path = photo_path(a.path, sha)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(blob)
                rows.append(
                    {
                        "sha256": sha,
                        "household_id": household,
                        "owner_table": "household",
                        "owner_id": household,
                        "size_bytes": len(blob),
                    }
                )
            uow.insert_many("photo", rows)
        net.close()
        print(
            f"photos: {count} x {photo_kb} KiB = {count * photo_kb / 1024:,.0f} MiB "
            f"(scale {count * photo_kb / 1024 / 2048:.2f} of the 2 GiB target)"
        )
        for kind in ("baseline", "export", "import"):
            done = subprocess.run(
                [sys.executable, __file__, "--phase", kind, "--dir", str(root)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if done.returncode:
                print(done.stderr)
                raise SystemExit(1)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{kind:8s} with photos: {result['seconds']:6.1f} s, "
                f"peak {result['peak_mb']:.0f} MB (target < 200 MB; baseline = open, no exchange)"
            )
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--photo-mb", type=int, default=2048)
    parser.add_argument("--names", choices=["real", "digits"], default="real")
    parser.add_argument("--county", action="store_true", help="also time the county's apply")
    parser.add_argument("--phase", choices=["baseline", "export", "import"])
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.dir)
        return
    if args.changes:
        bench_changes(args.changes, args.names, args.county)
    if args.photo_mb:
        bench_photos(args.photo_mb)


if __name__ == "__main__":
    main()
