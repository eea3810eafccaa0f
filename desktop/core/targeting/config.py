"""The targeting rule files in force, with "keep the last good version" on every reload.

Files (in the folder of county.toml): the identification procedure named by county.toml,
workflow_exit.toml, workflow_monitoring.toml, workflow_risk_clear.toml, targeting.toml (thresholds)
and the scoring rubric (rubric.toml if the county wrote one, else rubric_example.toml).
A broken edit must never stop a cadre from working: ``ConfigStore.reload`` reports each refused
file (RuleFileError: file, line, reason) and keeps that file's previous version.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules.rulefile import RuleFileError, Rules, default_rules, load_rules
from desktop.core.targeting.rubric import Rubric, load_rubric
from desktop.core.targeting.tomlfile import Checker, read_toml
from desktop.core.targeting.workflow_rules import WorkflowDef, load_workflow

T = TypeVar("T")

WORKFLOW_FILES = {
    "exit": "workflow_exit.toml",
    "monitoring": "workflow_monitoring.toml",
    "risk_clear": "workflow_risk_clear.toml",
}
TARGETING_FILE = "targeting.toml"
RUBRIC_FILES = ("rubric.toml", "rubric_example.toml")


@dataclass(frozen=True)
class Thresholds:
    """targeting.toml: housing standard, away-with-income factor, exit stability, reminders."""

    path: Path
    built_since: int
    structures: frozenset[str]
    area_min: float
    area_per_person_min: float
    away_income_factor: float
    exit_stable_years: int
    visit_due_days: int
    commitment_due_days: int


def load_thresholds(path: Path | str) -> Thresholds:
    document, locator = read_toml(path)
    check = Checker(locator)
    check.only_known(document, (), ("housing", "away", "exit", "reminders"))
    housing = check.table(document.get("housing"), ("housing",))
    check.only_known(
        housing, ("housing",), ("built_since", "structures", "area_min", "area_per_person_min")
    )
    structures = check.strings(housing, ("housing",), "structures")
    for code in structures:
        if not codes.is_valid("housing_structure", code):
            raise check.fail(
                ("housing", "structures"),
                _("“{value}”不是有效的房屋结构代码。").format(value=code),
            )
    away = check.table(document.get("away"), ("away",))
    check.only_known(away, ("away",), ("income_factor",))
    exit_ = check.table(document.get("exit"), ("exit",))
    check.only_known(exit_, ("exit",), ("stable_years",))
    reminders = check.table(document.get("reminders"), ("reminders",))
    check.only_known(reminders, ("reminders",), ("visit_due_days", "commitment_due_days"))
    return Thresholds(
        path=Path(path),
        built_since=int(
            check.number(housing, ("housing",), "built_since", integer=True, minimum=1949)
        ),
        structures=frozenset(structures),
        area_min=float(check.number(housing, ("housing",), "area_min")),
        area_per_person_min=float(check.number(housing, ("housing",), "area_per_person_min")),
        away_income_factor=float(check.number(away, ("away",), "income_factor")),
        exit_stable_years=int(
            check.number(exit_, ("exit",), "stable_years", integer=True, minimum=1)
        ),
        visit_due_days=int(check.number(reminders, ("reminders",), "visit_due_days", integer=True)),
        commitment_due_days=int(
            check.number(reminders, ("reminders",), "commitment_due_days", integer=True)
        ),
    )


@dataclass(frozen=True)
class TargetingConfig:
    """Everything the targeting functions read, already validated."""

    rules: Rules
    workflows: Mapping[str, WorkflowDef]
    thresholds: Thresholds
    rubric: Rubric

    def workflow(self, kind: str) -> WorkflowDef:
        found = self.workflows.get(kind)
        if found is None:
            from desktop.core.services.errors import ServiceError

            raise ServiceError(_("没有名为“{kind}”的流程。").format(kind=kind))
        return found


class ConfigStore:
    """The targeting files of one rules folder; each file keeps its last good version."""

    def __init__(self, rules: Rules | None = None, county_file: Path | None = None) -> None:
        self._county_file = county_file
        self._rules = rules
        self._good: dict[str, Any] = {}
        self._config: TargetingConfig | None = None
        self._lock = threading.Lock()
        self.errors: list[RuleFileError] = []

    @property
    def current(self) -> TargetingConfig:
        with self._lock:
            if self._config is None:
                self._config = self._build(first=True)
            return self._config

    def reload(self) -> list[RuleFileError]:
        """Re-read every file; returns the refusals (their files keep the previous version)."""
        with self._lock:
            self._config = self._build(first=False)
            return list(self.errors)

    def _load(self, key: str, loader: Callable[[Path], T], path: Path) -> T:
        try:
            value = loader(path)
        except RuleFileError as exc:
            self.errors.append(exc)
            if key not in self._good:
                raise
            return self._good[key]  # type: ignore[no-any-return]
        self._good[key] = value
        return value

    def _build(self, first: bool) -> TargetingConfig:
        self.errors = []
        if self._rules is not None and first:
            rules = self._rules
        elif self._county_file is not None:
            rules = self._load("county", load_rules, self._county_file)
        else:
            rules = self._rules or default_rules()
        folder = rules.path.parent
        named = {"identification": rules.identification_workflow, **WORKFLOW_FILES}
        workflows = {
            kind: self._load(kind, _expecting(kind), folder / name) for kind, name in named.items()
        }
        rubric_path = next(
            (folder / n for n in RUBRIC_FILES if (folder / n).exists()), folder / RUBRIC_FILES[-1]
        )
        return TargetingConfig(
            rules=rules,
            workflows=workflows,
            thresholds=self._load("thresholds", load_thresholds, folder / TARGETING_FILE),
            rubric=self._load("rubric", load_rubric, rubric_path),
        )


def _expecting(kind: str) -> Callable[[Path], WorkflowDef]:
    """A loader that also refuses a file defining another kind of procedure."""

    def load(path: Path) -> WorkflowDef:
        flow = load_workflow(path)
        if flow.kind != kind:
            raise RuleFileError(
                path,
                None,
                _("这个文件定义的是“{found}”流程，这里需要“{kind}”流程。").format(
                    found=flow.kind, kind=kind
                ),
            )
        return flow

    return load


_default: ConfigStore | None = None
_default_lock = threading.Lock()


def default_config() -> TargetingConfig:
    """The county's targeting rules from resources/rules, read once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ConfigStore()
    return _default.current


def reload_default_config() -> list[RuleFileError]:
    """Re-read the county's targeting files after an edit; broken files keep their last version."""
    default_config()
    assert _default is not None
    return _default.reload()


def config_for(rules: Rules | None) -> TargetingConfig:
    """The default config, or one built around a specific county rule file (tests, --rules)."""
    if rules is None:
        return default_config()
    return ConfigStore(rules=rules).current


def step_label(workflow: str, code: str, config: TargetingConfig | None = None) -> str:
    """The label of a recorded step (for ledgers and notices); the code itself when the county's
    files no longer define it (records keep their code forever)."""
    config = config or default_config()
    flow = config.workflows.get(workflow)
    step = flow.step(code) if flow else None
    if step is None and workflow == "identification":
        # records made under the other shipped identification procedure still get a label
        folder = config.rules.path.parent
        for name in ("workflow_seven_steps.toml", "workflow_national.toml"):
            other = _shipped_flow(folder / name)
            step = other.step(code) if other else None
            if step is not None:
                break
    return step.label if step else code


@functools.lru_cache(maxsize=8)
def _shipped_flow(path: Path) -> WorkflowDef | None:
    try:
        return load_workflow(path)
    except RuleFileError:
        return None
