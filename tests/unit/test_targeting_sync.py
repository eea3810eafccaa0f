"""Step records and spot-check results travel between laptops and replay to the same state."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from desktop.core.targeting.spotcheck import draw_sample, record_spot_check, sample_results
from desktop.core.targeting.workflows import record_step, workflow_state
from tests.sync.replicas import (
    VILLAGE,
    entries,
    open_replicas,
    seed_households,
    seed_regions,
    ship,
)

TODAY = date(2026, 11, 20)


def test_steps_and_spot_checks_merge_as_a_union(tmp_path: Path) -> None:
    county, laptop = open_replicas(tmp_path, 2)
    with county.unit_of_work() as uow:
        seed_regions(uow)
    first, second = seed_households(county, 2)
    ship(county, laptop)
    with laptop.unit_of_work(cadre="村干部") as uow:
        record_step(
            uow, first, "identification", "apply", date(2026, 9, 1), "passed", "户主", today=TODAY
        )
        record_step(
            uow,
            first,
            "identification",
            "group_review",
            date(2026, 9, 2),
            "passed",
            "一组",
            votes_for=20,
            votes_against=1,
            today=TODAY,
        )
    sample = draw_sample(county, village=VILLAGE, size=2, seed=9)
    assert sample == draw_sample(laptop, village=VILLAGE, size=2, seed=9)
    with county.unit_of_work(cadre="市") as uow:
        record_spot_check(
            uow,
            second,
            drawn_by="市乡村振兴局",
            seed=9,
            sample_id=sample.sample_id,
            check_date=TODAY,
            result="match",
        )
    laptop_entries = [e for e in entries(laptop) if e["device_id"] == laptop.device_id]
    ship(laptop, county, laptop_entries)
    ship(county, laptop, [e for e in entries(county) if e["device_id"] == county.device_id])
    for db in (county, laptop):
        state = workflow_state(db, first, today=TODAY)
        assert state.next_step is not None and state.next_step.code == "village_review"
        assert [r.result for r in sample_results(db, sample)].count("match") == 1
        with db.read() as conn:
            status = conn.exec_driver_sql(
                "SELECT status FROM household WHERE id = ?", (first,)
            ).scalar()
        assert status == "identifying"
    county.close()
    laptop.close()
