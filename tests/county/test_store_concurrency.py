"""Bundles from several laptops applied at the same moment (threads, their own transactions):
every change is numbered once, and a laptop that keeps downloading "since my cursor" while they
commit never skips one — a number handed out is never visible before the numbers below it."""

from __future__ import annotations

import threading
from pathlib import Path

from county.exchange import apply_bundles
from county.store.accept import current_top
from county.store.down import entries_for
from desktop.sync.exchange import export_bundles
from tests.sync.network import make_network
from tests.sync.replicas import VILLAGE, seed_households

LAPTOPS = ("A", "B", "C", "D")


def test_concurrent_bundles_are_numbered_without_gaps_a_reader_could_skip(tmp_path: Path) -> None:
    network = make_network(tmp_path / "net")
    try:
        bundles: dict[str, list[Path]] = {}
        expected = 0
        for n, name in enumerate(LAPTOPS):
            laptop = network.laptop(name)
            bundles[name] = []
            for b in range(3):
                seed_households(laptop, 15, start=n * 1000 + b * 100 + 1)
                written = export_bundles(laptop).new_bundle
                assert written is not None
                bundles[name].append(written.path)
                expected += int(written.manifest["counts"]["changes"])
        reader = network.laptop("R")
        county = network.county
        seen: list[int] = []
        done = threading.Event()
        errors: list[BaseException] = []

        def download_while_they_commit() -> None:
            cursor = 0
            try:
                while True:
                    finished = done.is_set()  # read before the query: one more pass after
                    with county.store.read() as conn:
                        top = current_top(conn)
                        rows = entries_for(conn, reader.device_id, [VILLAGE], cursor, top)
                    seen.extend(int(r[-1]) for r in rows)
                    cursor = max(cursor, top)
                    if finished:
                        return
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        def upload(name: str) -> None:
            try:
                report = apply_bundles(county, bundles[name])
                assert [o.status for o in report.outcomes] == ["applied"] * 3, report.outcomes
            except BaseException as exc:
                errors.append(exc)

        watcher = threading.Thread(target=download_while_they_commit)
        watcher.start()
        uploaders = [threading.Thread(target=upload, args=(name,)) for name in LAPTOPS]
        for thread in uploaders:
            thread.start()
        for thread in uploaders:
            thread.join()
        done.set()
        watcher.join()
        assert not errors, errors

        laptops = {network.laptops[name].device_id for name in LAPTOPS}
        with county.store.read() as conn:
            rows = entries_for(conn, reader.device_id, [VILLAGE], 0, current_top(conn))
        everything = [int(r[-1]) for r in rows]
        assert len(everything) == len(set(everything))  # numbered once
        assert sum(1 for r in rows if r[0] in laptops) == expected  # every change, none lost
        assert sorted(seen) == everything  # the reader, cursor by cursor, missed none
    finally:
        network.close()
