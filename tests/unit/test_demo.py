"""The demo county: deterministic, internally consistent, and carrying exactly the planted problems.

Everything runs on real database files through the real unit of work and the real data checks.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text

from desktop.core import codes
from desktop.core.database import Database, open_database
from desktop.core.demo import DemoCancelled, DemoSummary, generate_demo
from desktop.core.demo.cli_command import register_demo_command
from desktop.core.demo.problems import KINDS
from desktop.core.photos import PhotoStore
from desktop.core.rules import idnumber, validators
from desktop.core.rules.checks import run_checks
from desktop.core.rules.rule_codes import RULES
from desktop.core.rules.rulefile import default_rules
from desktop.core.services.errors import ServiceError

# A fixed reference day in the past, so ages, visit dates and findings do not move during a run.
TODAY = date(date.today().year - 1, 10, 8)
SIZE = 100
SEED = 11
TABLES = (
    "region",
    "helper",
    "household",
    "member",
    "income",
    "helper_assignment",
    "visit",
    "commitment",
    "step_record",
    "photo",
)


def _make(
    path: Path, households: int = SIZE, seed: int = SEED, **kw: Any
) -> tuple[Database, DemoSummary]:
    db = open_database(path)
    return db, generate_demo(db, households, seed, today=TODAY, **kw)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    db, summary = _make(tmp_path_factory.mktemp("demo") / "demo.db")
    yield db, summary
    db.close()


def _rows(db: Database, table: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()
        return [{k: v for k, v in r.items() if k != "created_hlc"} for r in rows]


def _members(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        query = text(
            "SELECT m.*, h.number, h.status, h.monitoring_kind FROM member m "
            "JOIN household h ON h.id = m.household_id WHERE m.left_reason IS NULL"
        )
        return [dict(r) for r in conn.execute(query).mappings()]


def _planted_members(summary: DemoSummary) -> set[str]:
    return {p.member_id for p in summary.planted if p.member_id}


def _planted_households(summary: DemoSummary) -> set[str]:
    return {p.household_id for p in summary.planted}


def _age(born: str) -> int:
    return idnumber.age_on(date.fromisoformat(born), TODAY)


# ----------------------------------------------------------------------------- determinism
def test_same_seed_gives_the_same_county_row_for_row(demo, tmp_path: Path) -> None:
    first, _summary = demo
    second, summary = _make(tmp_path / "again.db", batch_size=7)  # batches do not matter
    try:
        for table in TABLES:
            assert _rows(first, table) == _rows(second, table), table
        assert summary.counts == _summary.counts
        assert [p.household_id for p in summary.planted] == [
            p.household_id for p in _summary.planted
        ]
    finally:
        second.close()


def test_different_seed_gives_a_different_county(demo, tmp_path: Path) -> None:
    first, _ = demo
    other, _summary = _make(tmp_path / "other.db", households=40, seed=SEED + 1)
    try:
        ids = {m["id_number"] for m in _members(first)}
        other_ids = {m["id_number"] for m in _members(other)}
        assert not ids & other_ids
        assert {h["id"] for h in _rows(first, "household")}.isdisjoint(
            h["id"] for h in _rows(other, "household")
        )
    finally:
        other.close()


# ----------------------------------------------------------------------------- what was written
def test_summary_counts_match_the_tables_and_the_change_log(demo) -> None:
    db, summary = demo
    assert summary.households == SIZE
    assert not summary.cancelled
    with db.read() as conn:
        total = 0
        for table in TABLES:
            count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert count == summary.counts.get(table, 0), table
            total += count
        inserts = conn.execute(
            text("SELECT count(*) FROM change_log WHERE op = 'insert' AND cadre = '示范数据'")
        ).scalar_one()
    assert inserts == total  # every row went through the unit of work


def test_household_summary_columns_agree_with_members(demo) -> None:
    db, _ = demo
    members = _members(db)
    by_household = Counter(m["household_id"] for m in members)
    heads = {m["household_id"]: m for m in members if m["relation"] == "head"}
    for household in _rows(db, "household"):
        assert household["size"] == by_household[household["id"]]
        assert heads[household["id"]]["id"] == household["head_member_id"]
        assert heads[household["id"]]["name"] == household["head_name"]
        assert household["number"].startswith(household["village_code"])


def test_every_id_number_is_valid_unique_and_matches_birth_date_and_gender(demo) -> None:
    db, _ = demo
    with db.read() as conn:
        rows = conn.execute(text("SELECT id_number, birth_date, gender FROM member")).all()
    assert len({r[0] for r in rows}) == len(rows)
    for number, born, gender in rows:
        assert idnumber.validate_id(number, today=TODAY) == []
        assert number[:6] == "522799"
        assert idnumber.birth_date_of(number).isoformat() == born
        assert idnumber.gender_of(number) == gender


def test_phones_and_bank_accounts_are_valid(demo) -> None:
    db, _ = demo
    for household in _rows(db, "household"):
        assert validators.validate_phone(household["phone"]).problems == []
        assert validators.validate_bank_account(household["bank_account"]).problems == []
        assert len(household["bank_account"]) == 19
    for helper in _rows(db, "helper"):
        assert validators.validate_phone(helper["phone"]).problems == []
        assert codes.is_valid("helper_level", helper["level"])


def test_ages_fit_schooling_labour_and_relationships(demo) -> None:
    db, summary = demo
    planted = _planted_members(summary)
    stages = {c.code: c.attrs["stage"] for c in codes.codes("school_status")}
    members = [m for m in _members(db) if m["id"] not in planted]
    heads = {m["household_id"]: m for m in members if m["relation"] == "head"}
    for m in members:
        age = _age(m["birth_date"])
        stage = stages.get(m["school_status"])
        assert stage is not None, m
        if 6 <= age <= 15:
            assert stage != "none", m  # compulsory schooling
        if stage == "primary":
            assert 6 <= age <= 13 and m["education"] == "primary", m
        if stage == "junior":
            assert 11 <= age <= 16 and m["education"] == "junior", m
        if stage in ("senior", "vocational"):
            assert 15 <= age <= 19, m
        if age < 16:
            assert m["labour"] == "none" and m["work_months"] is None, m
        if age < 3:
            assert m["education"] == "preschool"
        if m["education"] == "college":
            assert age >= 18, m
        relation = codes.get("relation", m["relation"])
        if relation and relation.attrs.get("gender"):
            assert relation.attrs["gender"] == m["gender"], m
        head = heads.get(m["household_id"])
        if head and m["relation"] in ("son", "daughter"):
            assert _age(head["birth_date"]) - age >= 17, m
        if head and m["relation"] in ("father", "mother"):
            assert age - _age(head["birth_date"]) >= 17, m
        if m["work_status"] not in (None, "not_working"):
            assert 1 <= m["work_months"] <= 12


def test_incomes_sit_where_the_status_says(demo) -> None:
    db, summary = demo
    rules = default_rules()
    planted = _planted_households(summary)
    households = {h["id"]: h for h in _rows(db, "household")}
    seen = Counter()
    for income in _rows(db, "income"):
        household = households[income["household_id"]]
        if household["id"] in planted:
            continue
        net = sum(income[k] for k in ("wage", "business", "property", "transfer"))
        per_capita = (net - income["business_cost"]) / household["size"]
        year = income["year"]
        if household["status"] == "poor":
            assert per_capita < rules.poverty_line(year)
        if household["status"] == "lifted" and not household["monitoring_kind"]:
            assert per_capita >= rules.monitoring_band(year)
        if household["monitoring_kind"] in ("unstable", "marginal"):
            assert rules.poverty_line(year) <= per_capita < rules.monitoring_band(year)
        if income["business"] > 0:
            assert income["business_cost"] > 0
        seen[household["status"]] += 1
    assert {"poor", "lifted"} <= set(seen)
    assert {income["year"] for income in _rows(db, "income")} == {
        TODAY.year - 2,
        TODAY.year - 1,
        TODAY.year,
    }


def test_statuses_records_and_dates_are_mixed_and_not_in_the_future(demo) -> None:
    db, _ = demo
    households = _rows(db, "household")
    assert {"poor", "lifted"} <= {h["status"] for h in households}
    assert any(h["monitoring_kind"] for h in households)
    commitments = _rows(db, "commitment")
    assert {c["status"] for c in commitments} >= {"delivered", "planned"}
    overdue = [
        c
        for c in commitments
        if c["status"] in ("planned", "in_progress") and c["due_date"] < TODAY.isoformat()
    ]
    assert overdue
    visits = _rows(db, "visit")
    assert all(v["visit_date"] <= TODAY.isoformat() for v in visits)
    assert all(v["visit_date"] >= (TODAY - timedelta(days=366)).isoformat() for v in visits)
    steps = _rows(db, "step_record")
    assert {s["workflow"] for s in steps} >= {"identification", "monitoring"}
    assert all(codes.is_valid("step_outcome", s["outcome"]) for s in steps)


# ----------------------------------------------------------------------------- planted problems
def test_every_planted_kind_names_a_known_check_rule() -> None:
    assert len({k.rule for k in KINDS}) == len(KINDS)
    assert all(kind.rule in RULES for kind in KINDS)


def test_the_data_checks_find_every_planted_problem_and_nothing_else(demo) -> None:
    db, summary = demo
    assert {p.rule for p in summary.planted} == {k.rule for k in KINDS}
    # one problem per planted household: 4% of a county, but every kind even in a small one
    assert len(summary.planted) == max(math.ceil(0.04 * SIZE), min(len(KINDS), SIZE // 4))
    assert len(_planted_households(summary)) == len(summary.planted)
    findings = run_checks(db, today=TODAY)
    found = {(f.household_id, f.rule, f.member_id) for f in findings}
    for problem in summary.planted:
        if problem.member_id:
            assert (problem.household_id, problem.rule, problem.member_id) in found, problem
        else:
            assert any(f[:2] == (problem.household_id, problem.rule) for f in found), problem
    expected = {(p.household_id, p.rule) for p in summary.planted}
    unexpected = [f for f in findings if (f.household_id, f.rule) not in expected]
    assert unexpected == []


# ----------------------------------------------------------------------------- bad input, cancel
def test_refuses_a_database_that_already_holds_data(demo) -> None:
    db, _ = demo
    with pytest.raises(ServiceError, match="已经有数据"):
        generate_demo(db, 10, 1, today=TODAY)


@pytest.mark.parametrize("households", [0, -5, 2_000_000, True])
def test_refuses_a_silly_number_of_households(tmp_path: Path, households: Any) -> None:
    with open_database(tmp_path / "x.db") as db:
        with pytest.raises(ServiceError, match="户数"):
            generate_demo(db, households, 1, today=TODAY)
        assert _rows(db, "household") == [] and _rows(db, "region") == []


def test_cancel_stops_between_batches_and_keeps_what_was_written(tmp_path: Path) -> None:
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        stop.set()

    with open_database(tmp_path / "c.db") as db:
        with pytest.raises(DemoCancelled, match="已取消") as stopped:
            generate_demo(db, 90, 2, progress=progress, cancel=stop, today=TODAY, batch_size=30)
        summary = stopped.value.summary
        assert summary.cancelled
        assert seen == [(30, 90)]
        assert summary.households == len(_rows(db, "household")) == 30
        written = {h["id"] for h in _rows(db, "household")}
        assert summary.planted and all(p.household_id in written for p in summary.planted)
        assert len(_members(db)) == sum(h["size"] for h in _rows(db, "household"))


# ----------------------------------------------------------------------------- photos
def test_photos_are_real_jpegs_with_exif_in_the_store(tmp_path: Path) -> None:
    db, summary = _make(tmp_path / "p.db", households=25, seed=3, photos=True)
    try:
        photos = _rows(db, "photo")
        visits = {v["id"]: v for v in _rows(db, "visit")}
        assert summary.photos == len(photos) > 0
        store = PhotoStore.for_database(db.path)
        orientations = set()
        for photo in photos:
            path = store.path(photo["sha256"])
            assert path.stat().st_size == photo["size_bytes"]
            with Image.open(path) as image:
                assert image.format == "JPEG"
                exif = image.getexif()
                orientations.add(exif.get(0x0112))
                taken = exif.get_ifd(0x8769)[36867]
                image.load()  # the whole file decodes
            visit = visits[photo["owner_id"]]
            assert (
                photo["owner_table"] == "visit" and photo["household_id"] == visit["household_id"]
            )
            assert taken.startswith(visit["visit_date"].replace("-", ":"))
            assert photo["taken_at"].startswith(visit["visit_date"])
            assert (photo["width"], photo["height"]) == (480, 360)  # as seen, after orientation
            assert store.thumb_path(photo["sha256"]).exists()
        assert orientations == {1, 6}
    finally:
        db.close()
    again, summary_again = _make(tmp_path / "q.db", households=25, seed=3, photos=True)
    try:
        assert sorted(p["sha256"] for p in _rows(again, "photo")) == sorted(
            p["sha256"] for p in photos
        )
        with open_database(tmp_path / "p.db") as first:
            assert _rows(again, "member") == _rows(first, "member")
    finally:
        again.close()


# ----------------------------------------------------------------------------- command line
def _command(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register_demo_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_demo_command_prints_a_json_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _command(
        ["demo", "--db", str(tmp_path / "cli.db"), "--households", "30", "--seed", "4", "--json"]
    )
    assert args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["households"] == 30 and data["seed"] == 4 and data["county_name"] == "示范县"
    assert data["counts"]["household"] == 30
    assert {p["rule"] for p in data["planted"]} <= set(RULES)


def test_demo_command_errors_are_one_sentence_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cli.db"
    args = _command(["demo", "--db", str(target), "--households", "5"])
    assert args.handler(args) == 0
    capsys.readouterr()
    assert args.handler(args) == 1  # not into a database that holds data
    assert "已经有数据" in capsys.readouterr().err
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database", encoding="utf-8")
    args = _command(["demo", "--db", str(not_db), "--households", "5"])
    assert args.handler(args) == 1
    err = capsys.readouterr().err
    assert "不是入户通数据库" in err and err.count("\n") == 1
    assert not_db.read_text(encoding="utf-8") == "not a database"


def test_visits_follow_the_county_rule_file(tmp_path: Path) -> None:
    """A county that visits households being identified monthly and sudden-hardship households
    fortnightly gets a demo whose visits keep to that, and still only the planted findings."""
    import re

    from desktop.core.rules.rulefile import default_path, load_rules

    source = default_path().read_text(encoding="utf-8")
    source = re.sub(r"(?m)^\s*(identifying|sudden_hardship)\s*=.*$", "", source)
    source = source.replace("[visits]\n", "[visits]\nidentifying = 30\nsudden_hardship = 15\n", 1)
    rule_file = tmp_path / "county.toml"
    rule_file.write_text(source, encoding="utf-8")
    rules = load_rules(rule_file)
    assert rules.visit_interval_days["sudden_hardship"] == 15
    with open_database(tmp_path / "r.db") as db:
        summary = generate_demo(db, 120, 21, today=TODAY, rules=rules)
        findings = run_checks(db, rules=rules, today=TODAY)
        with db.read() as conn:
            sudden = conn.execute(
                text("SELECT count(*) FROM household WHERE monitoring_kind = 'sudden_hardship'")
            ).scalar_one()
    expected = {(p.household_id, p.rule) for p in summary.planted}
    assert [f for f in findings if (f.household_id, f.rule) not in expected] == []
    assert sudden > 0


def test_step_records_replay_cleanly_under_the_procedure_rule_files(demo) -> None:
    """In order, votes that carry, notices long enough and decided after they end, monitoring
    decided within its time limit and on the day monitoring starts."""
    from desktop.core.targeting.config import config_for
    from desktop.core.targeting.workflows import state_from_records

    db, _ = demo
    config = config_for(None)
    households = {h["id"]: h for h in _rows(db, "household")}
    with db.read() as conn:
        records = [
            dict(r)
            for r in conn.execute(
                text("SELECT * FROM step_record ORDER BY household_id, workflow, step_date, rowid")
            ).mappings()
        ]
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault((record["household_id"], record["workflow"]), []).append(record)
    assert {w for _h, w in grouped} == {"identification", "exit", "monitoring"}
    for (household_id, workflow), steps in grouped.items():
        flow = config.workflow(workflow)
        state = state_from_records(flow, households[household_id], steps, TODAY)
        assert state.warnings == [], (workflow, state.warnings)
        for record in steps:
            step = flow.step(record["step"])
            assert step is not None
            if step.notice and record["outcome"] == "passed":
                start, end = record["notice_start"], record["notice_end"]
                days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
                assert days >= step.min_days and record["step_date"] >= end
            if step.votes and record["outcome"] == "passed":
                assert record["votes_for"] > record["votes_against"] + record["votes_abstain"]
        if workflow == "monitoring":
            first, last = steps[0]["step_date"], steps[-1]["step_date"]
            span = (date.fromisoformat(last) - date.fromisoformat(first)).days
            assert span <= (flow.time_limit_days or 15)
            assert households[household_id]["monitoring_since"] == last
        if households[household_id]["status"] == "identifying" and workflow == "identification":
            assert "county_confirm" not in {s["step"] for s in steps}
