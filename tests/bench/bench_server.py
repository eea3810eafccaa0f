"""County server load over loopback: PostgreSQL (production) beside the embedded SQLite default.

Run: ``.venv/bin/python tests/bench/bench_server.py [--devices 200] [--bundles 10]
[--changes 500] [--workers 3] [--backend both|postgresql|sqlite] [--pg-url URL]``
(without ``--pg-url`` a private PostgreSQL cluster is started in a temp folder).

Each simulated device has real keys and a county certificate for one village; its bundles are
real signed, encrypted bundles of about ``--changes`` entries each (households with members, as
a laptop writes them, copied from a real laptop's change log with fresh ids and stamps), all
built before the clock starts. Then every device uploads its bundles in order, all devices at
once, to a real ``doorstep-county serve`` process (``--workers`` uvicorn processes). Printed:
changes per second, p50/p95 upload latency, that every change was accepted exactly once and none
lost, and the time to build the down-bundle for a village of 500 households on the loaded store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import bindparam, text  # noqa: E402

from county.data import County, record_database  # noqa: E402
from county.enrollment import enroll  # noqa: E402
from county.exchange import down_bundle  # noqa: E402
from county.store.copy import copy_store  # noqa: E402
from county.store.engine import sqlite_url  # noqa: E402
from desktop.core.database import open_database  # noqa: E402
from desktop.core.hlc import format_stamp, wall_ms  # noqa: E402
from desktop.sync import agecrypt, minisign  # noqa: E402
from desktop.sync import keys as keyring  # noqa: E402
from desktop.sync.bundle import COLUMNS, bundle_name, write_bundle  # noqa: E402
from tests.county.live_server import free_port  # noqa: E402
from tests.sync.replicas import seed_households  # noqa: E402

VILLAGE_500 = "520102999001"  # the village whose down-bundle is timed


# --------------------------------------------------------------------------------- building
def template_household(work: Path) -> list[dict[str, Any]]:
    """The entries a real laptop writes for one new household with two members."""
    with open_database(work / "template.db") as db:
        [household] = seed_households(db, 1, village="520102001001")
        with db.read() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {', '.join(COLUMNS)} FROM change_log WHERE household_id = :h "
                    "ORDER BY seq"
                ),
                {"h": household},
            ).mappings()
            entries = [dict(r) for r in rows]
    return entries


class Device:
    """A simulated laptop: its own keys, a certificate for one village, a chain of bundles."""

    def __init__(self, county: County, village: str, cadre: str) -> None:
        self.device_id = str(uuid.uuid4())
        self.signing = minisign.generate_keypair()
        self.identity, recipient = agecrypt.generate_identity()
        request = keyring.sign_document(
            {
                "type": keyring.REQUEST_TYPE,
                "version": keyring.DOCUMENT_VERSION,
                "device_id": self.device_id,
                "cadre": cadre,
                "signing_key": str(self.signing.public_key),
                "age_recipient": recipient,
                "created_at": keyring.now_iso(),
            },
            self.signing,
        )
        self.cert = enroll(county, request, [village])
        self.village = village
        self.seq = 0
        self.ms = wall_ms() - 10_000_000
        self.bundle_seq = 0
        self.prev_hash = ""
        self.households = 0

    def household_entries(self, template: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One new household in this device's village, as the laptop would log it."""
        self.households += 1
        number = f"{self.village}{self.device_id[:8]}{self.households:05d}"
        ids: dict[str, str] = {}
        for e in template:
            ids.setdefault(e["row_id"], str(uuid.uuid4()))
        stamps: dict[str, str] = {}
        out = []
        for e in template:
            self.seq += 1
            if e["hlc"] not in stamps:
                self.ms += 1
                stamps[e["hlc"]] = format_stamp(self.ms, 0, self.device_id)
            value = e["value"]
            if value is not None:
                for old, new in ids.items():
                    value = value.replace(old, new)
                value = value.replace("520102001001", self.village)
                value = value.replace(f'"{self.village}0001"', json.dumps(number))
            out.append(
                {
                    **e,
                    "device_id": self.device_id,
                    "seq": self.seq,
                    "row_id": ids[e["row_id"]],
                    "household_id": ids.get(e["household_id"] or ""),
                    "value": value,
                    "hlc": stamps[e["hlc"]],
                    "base_hlc": stamps.get(e["base_hlc"] or ""),
                    "server_seq": None,
                }
            )
        return out

    def bundle(
        self, county: County, folder: Path, template: list[dict[str, Any]], changes: int
    ) -> tuple[Path, int]:
        entries: list[dict[str, Any]] = []
        while len(entries) < changes:
            entries.extend(self.household_entries(template))
        self.bundle_seq += 1
        header = {
            "kind": "up",
            "bundle_id": f"{self.device_id}-{self.bundle_seq}",
            "device_id": self.device_id,
            "to": "county",
            "bundle_seq": self.bundle_seq,
            "prev_hash": self.prev_hash,
            "seq_from": entries[0]["seq"],
            "seq_to": entries[-1]["seq"],
            "server_seq_seen": 0,
            "cadre": self.cert["cadre"],
            "created_at": keyring.now_iso(),
        }
        written = write_bundle(
            folder / bundle_name(self.device_id, self.bundle_seq),
            header,
            entries,
            [],
            self.signing,
            [county.age_recipient],
        )
        self.prev_hash = written.hash
        return written.path, len(entries)


# --------------------------------------------------------------------------------- serving
def log_tail(path: Path, lines: int = 8) -> list[str]:
    return path.read_text("utf-8", "replace").splitlines()[-lines:] if path.exists() else []


def serve(
    data: Path, url: str | None, workers: int, port: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "county.cli", "serve", "--data", str(data)]
    command += ["--port", str(port), "--workers", str(workers)]
    if url:
        command += ["--db", url]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("county server did not start") from None
            time.sleep(0.1)


async def upload_all(
    url: str, plan: list[list[Path]]
) -> tuple[float, list[float], list[str], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    retries: list[str] = []
    bodies = [[(p.name, p.read_bytes()) for p in paths] for paths in plan]
    limits = httpx.Limits(max_connections=len(plan), max_keepalive_connections=len(plan))
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:

        async def device(items: list[tuple[str, bytes]]) -> None:
            for name, body in items:
                t0 = time.perf_counter()
                status = await post(name, body)
                latencies.append(time.perf_counter() - t0)
                if status not in ("applied", "duplicate after retry"):
                    failures.append(f"{name}: {status}")

        async def post(name: str, body: bytes) -> str:
            """One upload as a laptop makes it: a dropped connection is retried (uploads are
            idempotent: a bundle that did arrive answers 'duplicate')."""
            for attempt in range(5):
                try:
                    response = await client.post("/bundles", params={"name": name}, content=body)
                except httpx.TransportError:
                    retries.append(name)
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                found = response.json().get("status") if response.status_code == 200 else None
                if found == "duplicate" and attempt:
                    return "duplicate after retry"
                return str(found or f"{response.status_code} {response.text[:160]}")
            return "unreachable"

        t0 = time.perf_counter()
        await asyncio.gather(*(device(items) for items in bodies))
        wall = time.perf_counter() - t0
    return wall, latencies, failures, retries


def run(
    label: str,
    data: Path,
    url: str | None,
    workers: int,
    plan: list[list[Path]],
    expected: int,
    ids: list[str],
    village_device: str,
    work: Path,
) -> dict[str, float]:
    with County.open(data, url) as county:
        before = county.change_count()
    port = free_port()
    process = serve(data, url, workers, port, work / f"serve-{label}.log")
    try:
        wall, latencies, failures, retries = asyncio.run(
            upload_all(f"http://127.0.0.1:{port}", plan)
        )
    finally:
        process.terminate()
        process.wait(30)
    with County.open(data, url) as county, county.store.read() as conn:
        after = county.change_count()
        theirs = int(
            conn.execute(
                text(
                    "SELECT count(DISTINCT change_id) FROM change_log WHERE device_id IN :d"
                ).bindparams(bindparam("d", expanding=True)),
                {"d": ids},
            ).scalar_one()
        )
        t0 = time.perf_counter()
        bundle = down_bundle(county, village_device, work / f"down-{label}", cursor=0, acked=0)
        down_s = time.perf_counter() - t0
        villagers = int(
            conn.execute(
                text("SELECT count(*) FROM row_place WHERE tbl = 'household' AND village = :v"),
                {"v": VILLAGE_500},
            ).scalar_one()
        )
    cuts = statistics.quantiles(latencies, n=20)
    rate = expected / wall
    print(f"\n[{label}] {workers} server process(es)")
    print(
        f"  uploaded {expected:,} changes in {len(latencies)} bundles in {wall:.1f} s: "
        f"{rate:,.0f} changes/s"
    )
    print(
        f"  upload latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {cuts[18] * 1000:.0f} ms"
    )
    print(
        f"  accepted exactly once, none lost: {after - before == expected == theirs} "
        f"({after - before:,} new rows, {theirs:,} distinct change ids of {expected:,} sent)"
    )
    if retries:
        print(f"  {len(retries)} uploads retried after a dropped connection")
    if failures:
        print(f"  {len(failures)} uploads not applied, e.g. {failures[0]}")
        print("  server log tail:\n    " + "\n    ".join(log_tail(work / f"serve-{label}.log")))
    size = bundle.manifest["counts"]["changes"] if bundle else 0
    print(
        f"  down-bundle for a village of {villagers} households ({size:,} changes) on the "
        f"loaded store: {down_s:.2f} s (target < 1 s)"
    )
    ok = not failures and after - before == expected == theirs
    return {"rate": rate, "ok": float(ok), "down": down_s}


# --------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--bundles", type=int, default=10)
    parser.add_argument("--changes", type=int, default=500, help="per bundle")
    parser.add_argument("--workers", type=int, default=3, help="server processes (PostgreSQL)")
    parser.add_argument("--backend", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("DOORSTEP_TEST_PG_URL"))
    parser.add_argument(
        "--sqlite-bundles",
        type=int,
        default=None,
        help="upload only each device's first N bundles to the SQLite run (default: all)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    pg_cluster = None
    if args.backend != "sqlite" and not args.pg_url:
        work.chmod(0o755)  # run as root, the cluster runs as postgres: it must reach its folder
        pg_cluster = work / "pg"
        out = subprocess.run(
            [str(ROOT / "scripts" / "test-postgres.sh"), "start", str(pg_cluster)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        args.pg_url = out.strip().split("=", 1)[1]
    try:
        return bench(args, work)
    finally:
        if pg_cluster is not None:
            subprocess.run([str(ROOT / "scripts" / "test-postgres.sh"), "stop", str(pg_cluster)])
        shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> int:
    started = time.perf_counter()
    template = template_household(work)
    data = work / "county"
    county = County.init(data, "压测县", url=sqlite_url(data / "county.db"))
    villages = [
        f"5201020{v // 10 + 1:02d}{v % 10 + 1:03d}" for v in range(max(1, args.devices // 4))
    ]
    devices = [Device(county, villages[d % len(villages)], f"干部{d}") for d in range(args.devices)]
    # the timed village: 500 households from one laptop, received by another
    author = Device(county, VILLAGE_500, "村里")
    reader = Device(county, VILLAGE_500, "读者")
    bundles_dir = work / "bundles"
    plan: list[list[Path]] = []
    sizes: dict[Path, int] = {}
    expected = 0
    for device in devices:
        mine = []
        for _b in range(args.bundles):
            path, count = device.bundle(county, bundles_dir, template, args.changes)
            mine.append(path)
            sizes[path] = count
            expected += count
        plan.append(mine)
    seed: list[Path] = []
    seeded = 0
    while author.households < 500:
        path, count = author.bundle(county, bundles_dir, template, 498)
        seed.append(path)
        seeded += count
    county.close()
    print(
        f"built {args.devices} devices x {args.bundles} bundles, {expected:,} changes "
        f"(+{seeded:,} for the 500-household village) in {time.perf_counter() - started:.0f} s; "
        "the machine is shared with other work, so figures are noisy"
    )
    ids = [d.device_id for d in devices]
    results: dict[str, dict[str, float]] = {}
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        folder = work / f"county-{backend}"
        shutil.copytree(data, folder)
        url = None
        if backend == "postgresql":
            url = fresh_pg(args.pg_url)
            copy_store(sqlite_url(folder / "county.db"), url)
            record_database(folder, url)
            (folder / "county.db").unlink()
        workers = args.workers if backend == "postgresql" else 1
        mine, count = plan, expected
        if backend == "sqlite" and args.sqlite_bundles:
            mine = [paths[: args.sqlite_bundles] for paths in plan]
            count = sum(sizes[p] for paths in mine for p in paths)
        with County.open(folder, url) as target:
            from county.exchange import apply_bundles

            assert apply_bundles(target, seed).ok  # the 500-household village, before the clock
        results[backend] = run(
            backend, folder, url, workers, mine, count, ids, reader.device_id, work
        )
    if len(results) == 2:
        ratio = results["postgresql"]["rate"] / results["sqlite"]["rate"]
        print(
            f"\nPostgreSQL / SQLite throughput: {ratio:.2f}x "
            f"(target: >= 10,000 changes/s on PostgreSQL)"
        )
    return 0 if all(r["ok"] for r in results.values()) else 1


def fresh_pg(server_url: str) -> str:
    import psycopg

    name = f"doorstep_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    sys.exit(main())
