"""Targeting rule files: the shipped ones load; broken edits are refused with file, line and
reason; a reload keeps the last good version of each file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop.core.paths import resource
from desktop.core.rules.rulefile import RuleFileError, load_rules
from desktop.core.targeting.config import ConfigStore, TargetingConfig, load_thresholds
from desktop.core.targeting.rubric import load_rubric
from desktop.core.targeting.workflow_rules import load_workflow

FILES = (
    "county.toml",
    "workflow_seven_steps.toml",
    "workflow_national.toml",
    "workflow_exit.toml",
    "workflow_monitoring.toml",
    "workflow_risk_clear.toml",
    "targeting.toml",
    "rubric_example.toml",
)


def copy_rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(resource("rules", name), folder / name)
    return folder


def rules_folder(tmp_path: Path, identification: str | None = None) -> TargetingConfig:
    folder = copy_rules(tmp_path / "rules")
    county = folder / "county.toml"
    if identification:
        text = county.read_text(encoding="utf-8").replace(
            'identification = "workflow_seven_steps.toml"', f'identification = "{identification}"'
        )
        county.write_text(text, encoding="utf-8")
    return ConfigStore(county_file=county).current


def test_shipped_files_load() -> None:
    config = ConfigStore().current
    assert [s.label for s in config.workflow("identification").steps] == [
        "户申报",
        "小组议",
        "村评定",
        "入户查",
        "逐级核",
        "县确认",
        "市抽查",
    ]
    exit_flow = config.workflow("exit")
    assert exit_flow.step("notice").min_days == 7  # type: ignore[union-attr]
    monitoring = config.workflow("monitoring")
    assert monitoring.time_limit_days == 15
    assert monitoring.step("review_notice").min_days == 5  # type: ignore[union-attr]
    assert [i.label for i in config.rubric.indicators] == ["看房", "看粮", "看劳动力", "看读书郎"]


def _refusal(path: Path, text: str, loader: object) -> RuleFileError:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        loader(path)  # type: ignore[operator]
    return caught.value


WORKFLOW = """[workflow]
kind = "identification"
name = "测试"
on_fail = { status = "not_identified" }

[[steps]]
code = "apply"
label = "申请"

[[steps]]
code = "confirm"
label = "确认"
on_pass = { status = "poor" }
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ('label = "确认"', 'label = "确认"\ncolour = "red"', 13, "“colour”不是可用的项"),
        ('on_pass = { status = "poor" }', 'on_pass = { stauts = "poor" }', 13, "stauts"),
        ('on_pass = { status = "poor" }', 'on_pass = { status = "rich" }', 13, "不能设为“rich”"),
        ('code = "confirm"', 'code = "apply"', 11, "步骤代码“apply”重复"),
        ('kind = "identification"', 'kind = "census"', 2, "“kind”应为以下之一"),
        ('label = "申请"', 'label = "申请"\nmin_days = 7', 9, "只有公示步骤"),
        ('label = "申请"', 'label = "申请"\nvotes = "yes"', 9, "应为 true 或 false"),
        ('name = "测试"', 'name = "测试', 3, "不是有效的 TOML 写法"),
    ],
)
def test_broken_workflow_files_name_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    path = tmp_path / "flow.toml"
    error = _refusal(path, WORKFLOW.replace(old, new), load_workflow)
    assert error.path == path and error.line == line
    assert reason in error.reason
    assert f"第{line}行" in str(error) and str(path) in str(error)


def test_workflow_without_steps_is_refused(tmp_path: Path) -> None:
    error = _refusal(tmp_path / "f.toml", WORKFLOW.split("[[steps]]")[0], load_workflow)
    assert "steps" in error.reason


def test_broken_rubric_and_thresholds_are_refused(tmp_path: Path) -> None:
    text = resource("rules", "rubric_example.toml").read_text(encoding="utf-8")
    error = _refusal(
        tmp_path / "r.toml",
        text.replace('metric = "land_per_person"', 'metric = "rice"'),
        load_rubric,
    )
    assert "“rice”不是可用的数据项" in error.reason
    assert error.line == text.splitlines().index('metric = "land_per_person"') + 1
    error = _refusal(tmp_path / "r2.toml", text.replace('equals = ["C"]', "min = 1"), load_rubric)
    assert "请用 equals" in error.reason
    thresholds = resource("rules", "targeting.toml").read_text(encoding="utf-8")
    error = _refusal(
        tmp_path / "t.toml",
        thresholds.replace("stable_years = 2", "stable_yeers = 2"),
        load_thresholds,
    )
    assert "stable_yeers" in error.reason and error.line is not None
    error = _refusal(
        tmp_path / "t2.toml", thresholds.replace('["concrete"]', '["marble"]'), load_thresholds
    )
    assert "marble" in error.reason


def test_county_file_workflow_key_is_checked(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    county = folder / "county.toml"
    text = county.read_text(encoding="utf-8")
    county.write_text(text.replace("identification =", "identificaton ="), encoding="utf-8")
    with pytest.raises(RuleFileError, match="identificaton"):
        load_rules(county)
    county.write_text(text.replace('"workflow_seven_steps.toml"', '"../x.toml"'), "utf-8")
    with pytest.raises(RuleFileError, match="流程文件名"):
        load_rules(county)
    county.write_text(text.split("[workflow]")[0], encoding="utf-8")
    assert load_rules(county).identification_workflow == "workflow_seven_steps.toml"


def test_a_file_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="这里需要“identification”流程"):
        rules_folder(tmp_path, identification="workflow_exit.toml")


def test_reload_keeps_the_last_good_rules(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    store = ConfigStore(county_file=folder / "county.toml")
    before = store.current
    flow_file = folder / "workflow_seven_steps.toml"
    good = flow_file.read_text(encoding="utf-8")
    flow_file.write_text(good.replace('label = "户申报"', 'lable = "户申报"'), encoding="utf-8")
    rubric_file = folder / "rubric_example.toml"
    rubric_file.write_text("[rubric\n", encoding="utf-8")
    errors = store.reload()
    assert {e.path.name for e in errors} == {"workflow_seven_steps.toml", "rubric_example.toml"}
    assert all(e.line for e in errors)
    after = store.current
    assert after.workflow("identification") is before.workflow("identification")
    assert after.rubric is before.rubric
    flow_file.write_text(good.replace('label = "户申报"', 'label = "农户申报"'), "utf-8")
    assert [e.path.name for e in store.reload()] == ["rubric_example.toml"]
    assert store.current.workflow("identification").steps[0].label == "农户申报"
    assert store.current.rubric is before.rubric  # still broken: still the last good one


def test_first_load_of_a_broken_file_raises(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    path = folder / "targeting.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("built_since = 2014", "built_since = 'soon'"), "utf-8")
    with pytest.raises(RuleFileError) as caught:
        _ = ConfigStore(county_file=folder / "county.toml").current
    assert caught.value.line == text.splitlines().index("built_since = 2014") + 1
    assert "应为整数" in caught.value.reason


def test_step_labels_for_ledgers() -> None:
    from desktop.core.targeting import step_label

    assert step_label("identification", "county_confirm") == "县确认"
    assert step_label("identification", "review_up") == "逐级审核"  # the national file's step
    assert step_label("exit", "approve") == "批准"
    assert step_label("monitoring", "gone_step") == "gone_step"
