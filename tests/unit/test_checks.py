"""Every data-check rule fires on a household built to break it and stays quiet on a near miss.

Households are written through the unit of work and the services into a real SQLite file and
checked with ``run_checks`` in one pass. Values the services refuse to store (a bad ID checksum,
13 months of work, a 10-digit phone) are checked on plain dicts with ``evaluate_household``,
which is the same code ``run_checks`` runs.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import run_handler
from desktop.core.database import Database, open_database
from desktop.core.i18n import current_language, set_language
from desktop.core.rules import idnumber
from desktop.core.rules.checks import (
    RULES,
    CheckContext,
    Finding,
    check_household,
    evaluate_household,
    registry_of,
    run_checks,
    store_findings,
)
from desktop.core.rules.cli_command import register_check_command
from desktop.core.rules.rulefile import default_path, default_rules, load_rules
from desktop.core.services import households as hs
from desktop.core.services import visits

TODAY = date(2025, 6, 15)
LAST_YEAR = 2024
VILLAGE = "520102001001"
AUTO = "auto"  # member spec: generate a valid, unique ID number from birth date and gender

Spec = dict[str, Any]


def make_id(area: str, birth: date, male: bool, serial: int) -> str:
    seq = f"{serial * 2 + (1 if male else 0):03d}"[-3:]
    first17 = f"{area}{birth:%Y%m%d}{seq}"
    return first17 + idnumber.check_digit(first17)


def base_spec() -> Spec:
    """A household that passes every check on TODAY."""
    common = {"ethnicity": "01", "id_number": AUTO}
    return {
        "household": {
            "status": "poor",
            "main_cause": "illness",
            "other_cause_1": "lack_skills",
            "danger_grade": "A",
            "phone": "13800138000",
            "bank_name": "农村信用社",
            "bank_account": "6217001234567890122",
        },
        "members": [
            {
                **common,
                "name": "张大山",
                "relation": "head",
                "gender": "M",
                "birth_date": date(1975, 3, 12),
                "education": "junior",
                "school_status": "not_in_school",
                "health": "chronic",
                "labour": "weak",
                "work_status": "not_working",
                "work_months": 0,
            },
            {
                **common,
                "name": "李秀英",
                "relation": "spouse",
                "gender": "F",
                "birth_date": date(1978, 7, 21),
                "education": "primary",
                "school_status": "not_in_school",
                "health": "healthy",
                "labour": "ordinary",
                "work_status": "in_province",
                "work_months": 10,
            },
            {
                **common,
                "name": "张小红",
                "relation": "daughter",
                "gender": "F",
                "birth_date": date(2012, 9, 1),
                "education": "primary",
                "school_status": "primary",
                "health": "healthy",
                "labour": "none",
            },
            {
                **common,
                "name": "张小明",
                "relation": "son",
                "gender": "M",
                "birth_date": date(2008, 5, 1),
                "education": "junior",
                "school_status": "senior2",
                "health": "healthy",
                "labour": "none",
            },
        ],
        "incomes": {
            LAST_YEAR: {
                "wage": 20000,
                "business": 6000,
                "property": 500,
                "transfer": 1500,
                "business_cost": 2000,
            },
        },
        "helper": True,
        "visit": date(2025, 6, 1),
        "others": [],  # raw mode: other households' members for the duplicate-person registry
    }


# ----------------------------------------------------------------------------- mutations
Mutation = Callable[[Spec], None]


def hh(**changes: Any) -> Mutation:
    def apply(spec: Spec) -> None:
        spec["household"].update(changes)

    return apply


def mem(index: int, **changes: Any) -> Mutation:
    def apply(spec: Spec) -> None:
        spec["members"][index].update(changes)

    return apply


def key(name: str, value: Any) -> Mutation:
    def apply(spec: Spec) -> None:
        spec[name] = value

    return apply


def income(**items: Any) -> Mutation:
    return key("incomes", {LAST_YEAR: items})


def both(*mutations: Mutation) -> Mutation:
    def apply(spec: Spec) -> None:
        for mutation in mutations:
            mutation(spec)

    return apply


def nothing(spec: Spec) -> None:
    return None


def fifteen_digit(index: int) -> Mutation:
    def apply(spec: Spec) -> None:
        m = spec["members"][index]
        full = make_id("520999", m["birth_date"], m["gender"] == "M", index)
        m["id_number"] = full[:6] + full[8:17]

    return apply


def bad_checksum(index: int) -> Mutation:
    def apply(spec: Spec) -> None:
        m = spec["members"][index]
        full = make_id("520998", m["birth_date"], m["gender"] == "M", index)
        m["id_number"] = full[:17] + ("0" if full[17] != "0" else "1")

    return apply


def disability_card(index: int) -> Mutation:
    def apply(spec: Spec) -> None:
        m = spec["members"][index]
        m["id_number"] = AUTO + "+card"

    return apply


def duplicate_elsewhere(index: int, same_person: bool) -> Mutation:
    """Another household (H9999) holds member ``index``'s number in its 15-digit form — or,
    for the near miss, a different person's number."""

    def apply(spec: Spec) -> None:
        m = spec["members"][index]
        m["id_number"] = make_id("520997", m["birth_date"], m["gender"] == "M", index)
        other = (
            m["id_number"][:6] + m["id_number"][8:17]
            if same_person
            else make_id("520996", m["birth_date"], m["gender"] == "M", index)
        )
        spec["others"].append(
            (
                {"id": "other-household", "number": "H9999"},
                [{"id": "other-member", "name": "张大山", "id_number": other}],
            )
        )

    return apply


@dataclass(frozen=True)
class Case:
    rule: str
    trigger: Mutation
    near_miss: Mutation
    raw: bool = False  # the services refuse these values: check them as plain dicts
    label: str = ""


CASES: list[Case] = [
    # ID numbers
    Case("member.id_missing", mem(2, id_number=None), disability_card(2)),
    Case("member.id_invalid", bad_checksum(2), nothing, raw=True),
    Case("member.id_15_digit", fifteen_digit(0), nothing, raw=True),
    Case(
        "member.id_birth_mismatch",
        mem(0, birth_date=date(1975, 3, 13), id_birth=date(1975, 3, 12)),
        mem(0, birth_date=None, id_birth=date(1975, 3, 12)),
    ),
    Case(
        "member.id_gender_mismatch",
        mem(1, gender="M", id_male=False),
        mem(1, gender=None, id_male=False),
    ),
    Case(
        "member.duplicate_person",
        duplicate_elsewhere(0, True),
        duplicate_elsewhere(0, False),
        raw=True,
    ),
    # blanks
    Case("member.gender_blank", mem(2, id_number=None, gender=None), mem(2, id_number=None)),
    Case("member.relation_blank", mem(3, relation=None), mem(3, relation="other")),
    Case("member.ethnicity_blank", mem(1, ethnicity=None), mem(1, ethnicity="97")),
    Case("member.education_blank", mem(1, education=None), mem(1, education="illiterate")),
    Case("member.school_status_blank", mem(3, school_status=None), mem(0, school_status=None)),
    Case("member.health_blank", mem(1, health=None), nothing),
    Case("member.labour_blank", mem(1, labour=None), mem(2, labour=None)),
    # member contradictions
    Case("member.relation_gender", mem(3, relation="daughter"), mem(3, relation="grandson")),
    Case(
        "member.senior_too_young", mem(2, school_status="senior1"), mem(2, school_status="grade7")
    ),
    Case(
        "member.primary_too_old",
        mem(3, birth_date=date(2005, 6, 15), school_status="primary"),
        mem(3, birth_date=date(2005, 6, 16), school_status="primary"),
        label="birthday counts",
    ),
    Case(
        "member.compulsory_not_in_school",
        mem(2, school_status="not_in_school"),
        mem(3, school_status="not_in_school"),
    ),
    Case(
        "member.healthy_no_labour", mem(1, labour="none"), mem(1, labour="none", health="serious")
    ),
    Case("member.underage_labour", mem(2, labour="ordinary"), mem(3, labour="ordinary")),
    Case("member.work_months_range", mem(1, work_months=13), mem(1, work_months=12), raw=True),
    Case(
        "member.work_months_not_working",
        mem(0, work_months=3),
        mem(0, work_status="in_county", work_months=3),
    ),
    Case("member.working_no_months", mem(1, work_months=0), mem(1, work_months=1)),
    Case("member.phone_invalid", mem(1, phone="1380013800"), mem(1, phone="13800138000"), raw=True),
    # household structure
    Case("household.size_zero", key("members", []), nothing),
    Case("household.no_head", mem(0, relation="other"), nothing),
    Case("household.multiple_heads", mem(1, relation="head"), nothing),
    Case("household.head_spouse_same_gender", mem(1, gender="M"), nothing),
    # causes
    Case(
        "household.main_cause_blank",
        hh(main_cause=None),
        hh(main_cause=None, status="lifted", exit_year=2020),
    ),
    Case("household.cause_repeat", hh(other_cause_1="illness"), hh(other_cause_2="lack_capital")),
    Case("household.illness_no_patient", mem(0, health="healthy"), mem(0, health="serious")),
    Case(
        "household.schooling_no_student",
        both(hh(other_cause_1="schooling"), lambda s: s.update(members=s["members"][:2])),
        hh(other_cause_1="schooling"),
    ),
    Case(
        "household.disability_no_disabled",
        hh(other_cause_1="disability"),
        both(hh(other_cause_1="disability"), disability_card(0)),
    ),
    # income
    Case(
        "household.no_income_last_year", key("incomes", {LAST_YEAR - 1: {"wage": 20000}}), nothing
    ),
    Case("household.per_capita_nonpositive", income(wage=0), income(transfer=4)),
    Case(
        "household.per_capita_too_high", income(wage=400001), income(wage=400000), label="boundary"
    ),
    Case("household.business_without_cost", income(wage=20000, business=6000), income(wage=20000)),
    Case("household.wage_no_worker", mem(1, work_status="not_working", work_months=0), nothing),
    Case(
        "household.lifted_below_line",
        both(hh(status="lifted", exit_year=2020), income(wage=4000)),
        hh(status="lifted", exit_year=2020),
    ),
    Case(
        "household.band_unmonitored",
        hh(status="lifted", exit_year=2020),
        hh(
            status="lifted",
            exit_year=2020,
            monitoring_kind="unstable",
            monitoring_since=date(2024, 3, 1),
        ),
    ),
    Case("household.exit_year_missing", hh(status="lifted"), hh(status="lifted", exit_year=2020)),
    # housing, monitoring, assistance
    Case(
        "household.dangerous_house_unmonitored",
        hh(danger_grade="C"),
        hh(danger_grade="D", relocated=True),
    ),
    Case(
        "household.monitoring_kind_blank",
        hh(monitoring_since=date(2024, 3, 1)),
        hh(monitoring_since=date(2024, 3, 1), monitoring_kind="marginal"),
    ),
    Case(
        "household.monitoring_date_blank",
        hh(monitoring_kind="marginal"),
        hh(monitoring_kind="marginal", monitoring_since=date(2024, 3, 1)),
    ),
    Case(
        "household.no_helper",
        key("helper", False),
        both(key("helper", False), hh(status="identifying")),
    ),
    Case(
        "household.visit_overdue",
        key("visit", date(2025, 5, 15)),
        key("visit", date(2025, 5, 16)),
        label="31 vs 30 days",
    ),
    Case(
        "household.visit_overdue",
        key("visit", None),
        hh(status="identifying"),
        label="never visited",
    ),
    # contact and payment
    Case("household.phone_invalid", hh(phone="1380013800"), hh(phone="0851-12345678"), raw=True),
    Case(
        "household.bank_account_missing",
        hh(bank_account=None),
        hh(bank_account=None, status="identifying"),
    ),
    Case("household.bank_account_invalid", hh(bank_account="12345"), nothing, raw=True),
    Case("household.bank_account_suspect", hh(bank_account="6217001234567890120"), nothing),
]


def case_id(case: Case) -> str:
    return f"{case.rule}[{case.label}]" if case.label else case.rule


# ----------------------------------------------------------------------------- builders
def materialise(spec: Spec, index: int) -> list[dict[str, Any]]:
    members = []
    for k, m in enumerate(spec["members"]):
        m = dict(m)
        born = m.pop("id_birth", m.get("birth_date"))  # what the ID number says, when it
        male = m.pop("id_male", m.get("gender") != "F")  # differs from the entered values
        if m.get("id_number") == AUTO:
            m["id_number"] = make_id(f"52{index:04d}", born, male, k)
        elif m.get("id_number") == AUTO + "+card":
            m["id_number"] = make_id(f"52{index:04d}", born, male, k) + "42"
        members.append(m)
    return members


def build_in_db(db: Database, spec: Spec, index: int, helper_id: str) -> str:
    with db.unit_of_work(cadre="测试员") as uow:
        values = {**spec["household"], "number": f"H{index:04d}", "village_code": VILLAGE}
        household_id = hs.create_household(uow, values, materialise(spec, index))
        for year, items in spec["incomes"].items():
            hs.save_income(uow, household_id, year, items)
        if spec["helper"]:
            hs.assign_helper(uow, household_id, helper_id, date(2024, 1, 1))
        if spec["visit"]:
            visits.record_visit(uow, household_id, {"visit_date": spec["visit"]})
    return household_id


def evaluate_raw(spec: Spec, index: int) -> list[Finding]:
    household = {**spec["household"], "id": f"raw-{index}", "number": f"R{index:04d}"}
    members = [
        {**m, "id": f"raw-{index}-{k}", "household_id": household["id"]}
        for k, m in enumerate(materialise(spec, index))
    ]
    incomes = [{"year": year, **items} for year, items in spec["incomes"].items()]
    context = CheckContext(
        rules=default_rules(),
        today=TODAY,
        helped={household["id"]} if spec["helper"] else set(),
        last_visits={household["id"]: spec["visit"]} if spec["visit"] else {},
        registry=registry_of([(household, members), *spec["others"]]),
    )
    return evaluate_household(household, members, incomes, context=context)


@dataclass
class County:
    db: Database
    findings: dict[str, list[Finding]]  # household number → findings
    ids: dict[str, str]  # household number → id


def spec_for(mutation: Mutation) -> Spec:
    spec = copy.deepcopy(base_spec())
    mutation(spec)
    return spec


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """One database holding the clean household and every case's trigger and near miss."""
    db = open_database(tmp_path_factory.mktemp("checks") / "county.db")
    with db.unit_of_work(cadre="测试员") as uow:
        helper_id = uow.insert(
            "helper", {"name": "王帮扶", "unit": "县农业农村局", "level": "county"}
        )
    ids: dict[str, str] = {"H0000": build_in_db(db, base_spec(), 0, helper_id)}
    for n, case in enumerate(CASES, start=1):
        if case.raw:
            continue
        ids[f"H{2 * n:04d}"] = build_in_db(db, spec_for(case.trigger), 2 * n, helper_id)
        ids[f"H{2 * n + 1:04d}"] = build_in_db(db, spec_for(case.near_miss), 2 * n + 1, helper_id)
    found: dict[str, list[Finding]] = {number: [] for number in ids}
    for finding in run_checks(db, today=TODAY):
        found[finding.household_number].append(finding)
    yield County(db, found, ids)
    db.close()


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# ----------------------------------------------------------------------------- the rules
def test_every_rule_has_a_case() -> None:
    assert {case.rule for case in CASES} == set(RULES)
    assert len(RULES) >= 25


def test_clean_household_has_no_findings(county: County) -> None:
    assert county.findings["H0000"] == []
    assert evaluate_raw(base_spec(), 0) == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rule_fires_on_its_trigger(case: Case, county: County) -> None:
    n = CASES.index(case) + 1
    findings = (
        evaluate_raw(spec_for(case.trigger), 2 * n)
        if case.raw
        else county.findings[f"H{2 * n:04d}"]
    )
    hits = [f for f in findings if f.rule == case.rule]
    assert hits, f"{case.rule} not found in {rules_of(findings)}"
    info = RULES[case.rule]
    for hit in hits:
        assert hit.severity == info.severity
        assert hit.field == info.field
        assert (hit.member_id is not None) == (info.scope == "member") or case.rule == (
            "household.head_spouse_same_gender"
        )
        assert hit.message.endswith("。") and any("\u4e00" <= ch <= "\u9fff" for ch in hit.message)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rule_quiet_on_near_miss(case: Case, county: County) -> None:
    n = CASES.index(case) + 1
    findings = (
        evaluate_raw(spec_for(case.near_miss), 2 * n + 1)
        if case.raw
        else county.findings[f"H{2 * n + 1:04d}"]
    )
    assert case.rule not in rules_of(findings)


def test_member_findings_name_the_member(county: County) -> None:
    n = next(i for i, c in enumerate(CASES, 1) if c.rule == "member.relation_gender")
    (hit,) = [f for f in county.findings[f"H{2 * n:04d}"] if f.rule == "member.relation_gender"]
    assert hit.member_name == "张小明"
    assert "之女" in hit.message and "男" in hit.message


def test_15_digit_number_is_checked_in_its_upgraded_form() -> None:
    findings = evaluate_raw(spec_for(both(fifteen_digit(0), mem(0, gender="F"))), 1)
    assert {"member.id_15_digit", "member.id_gender_mismatch"} <= rules_of(findings)
    (upgrade,) = [f for f in findings if f.rule == "member.id_15_digit"]
    assert "520999" in upgrade.message and len(upgrade.message.split("：")[-1].rstrip("。")) == 18


def test_skipped_statuses_are_not_checked() -> None:
    spec = spec_for(both(hh(status="removed"), mem(0, relation="other"), key("helper", False)))
    assert evaluate_raw(spec, 1) == []


# ----------------------------------------------------------------------------- database paths
def test_duplicate_person_found_in_bulk_and_for_one_household(db: Database) -> None:
    """Two laptops registered the same person; the second row arrives by a sync merge, which
    writes what another laptop already validated (the merge primitive, inside a unit of work)."""
    with db.unit_of_work() as uow:
        first = hs.create_household(
            uow,
            {"number": "A1", "village_code": VILLAGE},
            [
                {
                    "name": "王五",
                    "relation": "head",
                    "id_number": make_id("520103", date(1980, 1, 2), True, 1),
                }
            ],
        )
        second = hs.create_household(
            uow,
            {"number": "A2", "village_code": VILLAGE},
            [
                {
                    "name": "赵六",
                    "relation": "head",
                    "id_number": make_id("520104", date(1981, 1, 2), True, 1),
                }
            ],
        )
        twin = {**uow.get("member", hs.current_members(uow, first)[0]["id"])}
        twin.update(id="merged-member", household_id=second, relation="son", name="王五")
        uow.insert_raw("member", twin)
    everyone = [f for f in run_checks(db, today=TODAY) if f.rule == "member.duplicate_person"]
    assert {f.household_number for f in everyone} == {"A1", "A2"}
    assert any("A2" in f.message for f in everyone if f.household_number == "A1")
    just_one = run_checks(db, [second], today=TODAY)
    assert {f.household_number for f in just_one} == {"A2"}
    assert [f.member_id for f in just_one if f.rule == "member.duplicate_person"] == [
        "merged-member"
    ]
    with db.unit_of_work() as uow:
        hs.member_leaves(uow, "merged-member", "moved_out", date(2025, 1, 1))
    assert not [f for f in run_checks(db, today=TODAY) if f.rule == "member.duplicate_person"]


def test_store_findings_replaces_rows_per_household(db: Database) -> None:
    with db.unit_of_work() as uow:
        a = hs.create_household(uow, {"number": "B1", "village_code": VILLAGE}, [{"name": "甲"}])
        b = hs.create_household(uow, {"number": "B2", "village_code": VILLAGE}, [{"name": "乙"}])
    findings = run_checks(db, today=TODAY)
    assert store_findings(db, findings) == len(findings)

    def stored() -> dict[str, set[str]]:
        with db.read() as conn:
            rows = conn.exec_driver_sql("SELECT household_id, rule FROM finding").fetchall()
        result: dict[str, set[str]] = {}
        for household_id, rule in rows:
            result.setdefault(household_id, set()).add(rule)
        return result

    assert "household.no_head" in stored()[a] and "household.no_head" in stored()[b]
    with db.unit_of_work() as uow:
        member_id = hs.current_members(uow, a)[0]["id"]
        hs.set_head(uow, a, member_id)
    again = check_household(db, a, today=TODAY)
    assert "household.no_head" not in rules_of(again)
    after = stored()
    assert "household.no_head" not in after[a]
    assert "household.no_head" in after[b]  # other households' findings stay
    store_findings(db, [], None)
    assert stored() == {}


def test_county_switches_and_severities(tmp_path: Path) -> None:
    text = default_path().read_text(encoding="utf-8")
    text = text.replace("disabled = []", 'disabled = ["member.ethnicity_blank"]')
    text = text.replace(
        '# "household.business_without_cost" = "error"', '"member.education_blank" = "error"'
    )
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    spec = spec_for(both(mem(1, ethnicity=None), mem(1, education=None)))
    household = {**spec["household"], "id": "h", "number": "H1"}
    members = [
        {**m, "id": f"m{k}", "household_id": "h"} for k, m in enumerate(materialise(spec, 1))
    ]
    context = CheckContext(rules=rules, today=TODAY, helped={"h"}, last_visits={"h": TODAY})
    incomes = [{"year": LAST_YEAR, **spec["incomes"][LAST_YEAR]}]
    findings = evaluate_household(household, members, incomes, context=context)
    assert "member.ethnicity_blank" not in rules_of(findings)
    (education,) = [f for f in findings if f.rule == "member.education_blank"]
    assert education.severity == "error"


def test_visit_interval_by_monitoring_category(tmp_path: Path) -> None:
    text = default_path().read_text(encoding="utf-8")
    path = tmp_path / "county.toml"
    path.write_text(text.replace("# sudden_hardship = 15", "sudden_hardship = 15"), "utf-8")
    rules = load_rules(path)
    assert rules.visit_interval_days["sudden_hardship"] == 15

    def overdue(kind: str) -> bool:
        spec = spec_for(hh(monitoring_kind=kind, monitoring_since=date(2024, 3, 1)))
        household = {**spec["household"], "id": "h", "number": "H1"}
        members = [
            {**m, "id": f"m{k}", "household_id": "h"} for k, m in enumerate(materialise(spec, 1))
        ]
        context = CheckContext(
            rules=rules, today=TODAY, helped={"h"}, last_visits={"h": date(2025, 5, 26)}
        )
        incomes = [{"year": LAST_YEAR, **spec["incomes"][LAST_YEAR]}]
        found = evaluate_household(household, members, incomes, context=context)
        return "household.visit_overdue" in rules_of(found)

    assert overdue("sudden_hardship")  # 20 days > its own 15
    assert not overdue("marginal")  # 20 days <= the 30 for all monitoring objects


# ----------------------------------------------------------------------------- the command
def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="doorstep")
    register_check_command(parser.add_subparsers(dest="command"))
    return run_handler(parser.parse_args(list(argv)))


def test_check_command_json_report_and_stored_findings(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.unit_of_work() as uow:
        hs.create_household(
            uow,
            {"number": "C1", "village_code": VILLAGE, "status": "poor"},
            [{"name": "孙七", "relation": "son", "gender": "F"}],
        )
    path = str(db.path)
    assert run_cli("check", "--db", path, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "a household with problems has findings"
    assert all(
        set(row)
        == {
            "household_id",
            "household_number",
            "member_id",
            "member_name",
            "rule",
            "severity",
            "field",
            "message",
        }
        for row in rows
    )
    assert {"member.relation_gender", "household.no_head"} <= {row["rule"] for row in rows}
    assert {row["household_number"] for row in rows} == {"C1"}
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM finding").scalar() == len(rows)

    assert run_cli("check", "--db", path) == 0
    report = capsys.readouterr().out
    assert "户 C1" in report and "孙七" in report and "没有户主" in report
    assert f"发现 {len(rows)} 个问题" in report


def test_check_command_errors_are_one_sentence(
    tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("check", "--db", str(tmp_path / "missing.db")) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "missing.db" in err
    assert not (tmp_path / "missing.db").exists()
    broken = tmp_path / "county.toml"
    broken.write_text("[income]\nper_capita_max = \n", encoding="utf-8")
    assert run_cli("check", "--db", str(db.path), "--rules", str(broken)) == 1
    err = capsys.readouterr().err
    assert "county.toml" in err and "第2行" in err


def test_every_message_is_translated() -> None:
    """With the interface in English, no finding (of any rule) shows Chinese apart from names."""
    previous = current_language()
    set_language("en")
    try:
        findings = [
            f
            for n, case in enumerate(CASES, 1)
            for f in evaluate_raw(spec_for(case.trigger), 2 * n)
        ]
    finally:
        set_language(previous)
    names = {m["name"] for m in base_spec()["members"]}
    assert {f.rule for f in findings} == set(RULES)
    for finding in findings:
        text = finding.message
        for name in names:
            text = text.replace(name, "")
        assert not any("\u3000" <= ch <= "\u9fff" or ch in "，。：“”（）" for ch in text), (
            finding.rule,
            finding.message,
        )
