"""Convergence through the real bundles: three laptops and the county.

Laptops make random edits (concurrent and stale edits of the same fields, voids, edits of voided
rows, new members and visits, conflict resolutions); bundles travel laptop → county → laptop in
random order, some delivered twice, some late (held until their predecessor arrives). After a
final exchange every replica — the three laptops and the county — holds the same rows and the
same conflicts.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.sync.exchange import export_bundles, import_bundles, outbox_dir
from tests.sync.network import Network, make_network, reopen_network
from tests.sync.replicas import seed_households, snapshot
from tests.sync.test_merge import EDITS, _run

LAPTOPS = ("A", "B", "C")
CONFLICTS = (
    "SELECT id, tbl, row_id, field, winner_change_id, winner_value, loser_change_id, "
    "loser_value, resolved_by_change FROM conflict ORDER BY id"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("convergence")
    network = make_network(root)
    with network.county.authoring() as db:
        seed_households(db, 2)
    for name in LAPTOPS:
        network.laptop(name)
    network.close()
    return root


operation = st.one_of(
    st.tuples(
        st.just("edit"),
        st.integers(0, 2),
        st.integers(0, len(EDITS) - 1),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(st.sampled_from(["void", "visit", "member", "resolve", "export"]), st.integers(0, 2)),
    st.tuples(st.just("apply"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("outbox"), st.just(0)),
    st.tuples(st.just("import"), st.integers(0, 2), st.integers(0, 50), st.booleans()),
)
scenarios = (st.lists(operation, min_size=5, max_size=40), st.integers(0, 2**16))
QUICK = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@QUICK
@given(*scenarios)
def test_laptops_and_county_converge_through_bundles(
    template: Path, ops: list[tuple], seed: int
) -> None:
    run_scenario(template, ops, seed)


@pytest.mark.slow
@settings(QUICK, max_examples=40)
@given(*scenarios)
def test_laptops_and_county_converge_thoroughly(
    template: Path, ops: list[tuple], seed: int
) -> None:
    run_scenario(template, ops, seed)


def run_scenario(template: Path, ops: list[tuple], seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "net"
        shutil.copytree(template, root)
        net = reopen_network(root, LAPTOPS)
        try:
            play(net, ops, random.Random(seed))
            drain(net)
            states = [snapshot(net.laptops[name]) for name in LAPTOPS]
            assert states[0] == states[1] == states[2]
            with net.county.authoring() as replica:  # the store's change log, merged afresh
                county = snapshot(replica)
            for table in county:
                if table != "region":  # the county also holds villages no laptop edits
                    assert county[table] == states[0][table], table
            with net.county.store.read() as conn:  # the conflicts the county itself recorded
                recorded = [tuple(r) for r in conn.execute(text(CONFLICTS))]
            assert recorded == states[0]["conflict"]
        finally:
            net.close()


def play(net: Network, ops: list[tuple], rng: random.Random) -> None:
    replicas = [net.laptops[name] for name in LAPTOPS]
    up: list[Path] = []
    down: dict[int, list[Path]] = {0: [], 1: [], 2: []}
    transit = net.root / "transit"
    transit.mkdir()
    numbers = iter(range(100, 1000))
    for op in ops:
        kind = op[0]
        if kind == "export":
            report = export_bundles(replicas[op[1]])
            if report.new_bundle is not None:
                copy = transit / report.new_bundle.path.name
                shutil.copy(report.new_bundle.path, copy)
                up.append(copy)
        elif kind == "apply" and up:
            pick = up[op[1] % len(up)]
            net.apply([pick])
            if not op[2]:
                up.remove(pick)
        elif kind == "outbox":
            for device, files in net.outbox().items():
                index = next(i for i, db in enumerate(replicas) if db.device_id == device)
                for path in files:
                    copy = transit / f"{device}-{path.name}"
                    shutil.copy(path, copy)
                    down[index].append(copy)
        elif kind == "import":
            waiting = down[op[1]]
            if waiting:
                pick = waiting[op[2] % len(waiting)]
                import_bundles(replicas[op[1]], [pick])
                if not op[3]:
                    waiting.remove(pick)
        elif kind not in ("apply",):
            _run(op, replicas, rng, numbers)


def drain(net: Network) -> None:
    """Everyone exchanges until there is nothing left in flight."""
    for _round in range(3):
        for name in LAPTOPS:
            db = net.laptops[name]
            export_bundles(db)
            report = net.apply(sorted(outbox_dir(db).glob("*.dsb")))
            assert report.ok, [o.message for o in report.outcomes]
        net.outbox()
        for name in LAPTOPS:
            report = net.deliver(name)
            assert report.ok, [o.message for o in report.outcomes]
