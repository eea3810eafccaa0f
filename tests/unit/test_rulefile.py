"""The county rule file: the shipped values, refusals that name the line, keep-last-good reloads,
and the income measurement that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.i18n import current_language, set_language
from desktop.core.rules.income import (
    assess,
    compare_to_line,
    net_income,
    per_capita,
    position_label,
)
from desktop.core.rules.rule_codes import RULES
from desktop.core.rules.rulefile import (
    RuleFileError,
    RuleStore,
    default_path,
    default_rules,
    load_rules,
)

SHIPPED = default_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, 1)


def line_number(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


# ----------------------------------------------------------------------------- shipped values
def test_shipped_poverty_line_and_band() -> None:
    rules = default_rules()
    assert rules.poverty_line(2010) == 2300
    assert [rules.poverty_line(y) for y in range(2014, 2021)] == [
        2800,
        2855,
        2952,
        3335,
        3535,
        3747,
        4000,
    ]
    assert rules.poverty_line(2026) == rules.poverty_line(2021)  # carried forward
    assert rules.monitoring_band(2021) == 6000
    assert rules.monitoring_band(2030) == rules.monitoring_band(2024)
    assert rules.monitoring_band(2016) == pytest.approx(2952 * 1.5)  # before monitoring began
    assert rules.school_status_ages == (6, 23) and rules.labour_ages == (16, 65)
    assert rules.per_capita_max == 100000
    assert rules.senior_school_max_age == 14 and rules.primary_school_min_age == 20
    assert rules.visit_interval_days["monitoring"] > 0
    assert not rules.disabled and not rules.severity_overrides
    assert rules.severity("household.no_head") == RULES["household.no_head"].severity


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("old", "new", "line_fragment", "reason"),
    [
        ("per_capita_max = 100000", "per_capita_max = ", "per_capita_max", "TOML"),
        (
            "per_capita_max = 100000",
            "per_capita_maximum = 100000",
            "per_capita_maximum",
            "per_capita_maximum",
        ),
        ("[work]", "[wrok]", "[wrok]", "wrok"),
        ("labour_max = 65", 'labour_max = "65"', "labour_max", "整数"),
        ("labour_min = 16", "labour_min = 70", "labour_min", "labour_min"),
        ("2019 = 3747", "2019 = -3747", "2019 = -3747", "负数"),
        ("2019 = 3747", "year2019 = 3747", "year2019", "不是年份"),
        ("lifted = 90", "exited = 90", "exited", "户状态"),
        (
            'skip_statuses = ["not_identified", "removed"]',
            'skip_statuses = ["gone"]',
            "skip_statuses",
            "gone",
        ),
        (
            "disabled = []",
            'disabled = ["member.no_such_rule"]',
            'disabled = ["member',
            "member.no_such_rule",
        ),
        (
            '# "household.business_without_cost" = "error"',
            '"household.no_head" = "fatal"',
            '"household.no_head"',
            "error 或 warning",
        ),
        (
            '# "household.business_without_cost" = "error"',
            '"household.nothing" = "error"',
            '"household.nothing"',
            "household.nothing",
        ),
        ("months_max = 12", "months_max = 13", "months_max", "12"),
    ],
)
def test_bad_edit_is_refused_with_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line_fragment: str, reason: str
) -> None:
    text = edited(old, new)
    path = write(tmp_path, text)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path)
    error = caught.value
    assert error.path == path
    assert error.line == line_number(text, line_fragment)
    assert reason in error.reason
    assert str(path) in str(error) and f"第{error.line}行" in str(error)


def test_missing_key_and_section_are_named(tmp_path: Path) -> None:
    text = edited(
        "senior_school_max = 14     # aged 14 or younger in senior secondary (高中/中职) is flagged\n",
        "",
    )
    with pytest.raises(RuleFileError, match="senior_school_max"):
        load_rules(write(tmp_path, text))
    start = SHIPPED.index("[scope]")
    end = SHIPPED.index("[checks]")
    with pytest.raises(RuleFileError, match=r"\[scope\]"):
        load_rules(write(tmp_path, SHIPPED[:start] + SHIPPED[end:]))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="不存在"):
        load_rules(tmp_path / "nowhere.toml")
    path = tmp_path / "county.toml"
    path.write_bytes("[income]\n# 说明\n".encode("gbk"))
    with pytest.raises(RuleFileError, match="UTF-8"):
        load_rules(path)


def test_messages_follow_the_interface_language(tmp_path: Path) -> None:
    path = write(tmp_path, edited("per_capita_max = 100000", "per_capita_maximum = 100000"))
    previous = current_language()
    set_language("en")
    try:
        with pytest.raises(RuleFileError) as caught:
            load_rules(path)
    finally:
        set_language(previous)
    assert "line" in str(caught.value) and "per_capita_maximum" in str(caught.value)
    assert not any("\u3000" <= ch <= "\u9fff" for ch in caught.value.reason)


# ----------------------------------------------------------------------------- reloads
def test_reload_keeps_the_last_good_rules(tmp_path: Path) -> None:
    path = write(tmp_path, edited("per_capita_max = 100000", "per_capita_max = 80000"))
    store = RuleStore(path)
    assert store.current.per_capita_max == 80000
    path.write_text(edited("per_capita_max = 100000", "per_capita_max = oops"), encoding="utf-8")
    with pytest.raises(RuleFileError):
        store.reload()
    assert store.current.per_capita_max == 80000  # still the rules that were in force
    assert store.last_error is not None and store.last_error.line is not None
    path.write_text(edited("per_capita_max = 100000", "per_capita_max = 90000"), encoding="utf-8")
    assert store.reload().per_capita_max == 90000
    assert store.current.per_capita_max == 90000 and store.last_error is None


def test_first_load_of_a_broken_file_raises(tmp_path: Path) -> None:
    store = RuleStore(write(tmp_path, "[poverty_line\n"))
    with pytest.raises(RuleFileError) as caught:
        _ = store.current
    assert caught.value.line == 1


# ----------------------------------------------------------------------------- income
def test_net_and_per_capita_income() -> None:
    items = {
        "wage": 12000,
        "business": 5000.5,
        "property": 300,
        "transfer": 2400,
        "business_cost": 1700.5,
    }
    assert net_income(items) == 18000
    assert net_income({"wage": 1000, "transfer": None}) == 1000  # blanks count as 0
    assert net_income({"business": 100, "business_cost": 900}) == -800
    assert per_capita(18000, 4) == 4500
    assert per_capita(10000, 3) == 3333.33
    with pytest.raises(ValueError, match="家庭人口为0"):
        per_capita(18000, 0)
    with pytest.raises(ValueError, match="工资性收入"):
        net_income({"wage": "一万"})


def test_compare_to_line_boundaries() -> None:
    rules = default_rules()
    assert compare_to_line(3999.99, 2020, rules) == "below_line"
    assert compare_to_line(4000, 2020, rules) == "within_band"  # at the line is not below it
    assert compare_to_line(5999.99, 2021, rules) == "within_band"
    assert compare_to_line(6000, 2021, rules) == "above_band"  # at the band is not within it
    assert compare_to_line(2900, 2016) == "below_line"  # default rules
    assert position_label("within_band") == "在监测范围内"


def test_assess_reports_line_band_and_a_sentence() -> None:
    verdict = assess(2021, {"wage": 20000}, 4)
    assert (verdict.net, verdict.per_capita, verdict.level) == (20000, 5000, "within_band")
    assert (verdict.line, verdict.band) == (4100, 6000)
    assert "2021" in verdict.message and "6000" in verdict.message
    empty = assess(2021, {"wage": 20000}, 0)
    assert empty.per_capita is None and empty.level == "" and "家庭人口为0" in empty.message
