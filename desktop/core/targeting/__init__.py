"""Targeting (精准识别): procedures, eligibility flags, scoring, exit checklist, registry
cross-checks, spot checks and reminders. No Qt: the app and the command line call these."""

from __future__ import annotations

from desktop.core.targeting.answers import (
    latest_answers,
    record_score_answer,
    saved_answers,
    withdraw_score_answer,
)
from desktop.core.targeting.config import (
    ConfigStore,
    TargetingConfig,
    default_config,
    reload_default_config,
    step_label,
)
from desktop.core.targeting.eligibility import Flag, HouseholdFlags
from desktop.core.targeting.exit_check import CheckItem, ExitChecklist
from desktop.core.targeting.registry import RegistryImport, import_registry, registry_matches
from desktop.core.targeting.reminders import Reminder, TodayView, today_view
from desktop.core.targeting.rubric import HouseholdScore, IndicatorScore
from desktop.core.targeting.service import (
    evaluate_county,
    exit_checklists,
    household_exit_checklist,
    household_flags,
    household_score,
    rank_applicants,
    village_flags,
)
from desktop.core.targeting.spotcheck import Sample, draw_sample, record_spot_check, sample_results
from desktop.core.targeting.workflows import StepResult, WorkflowState, record_step, workflow_state

__all__ = [
    "CheckItem",
    "ConfigStore",
    "ExitChecklist",
    "Flag",
    "HouseholdFlags",
    "HouseholdScore",
    "IndicatorScore",
    "RegistryImport",
    "Reminder",
    "Sample",
    "StepResult",
    "TargetingConfig",
    "TodayView",
    "WorkflowState",
    "default_config",
    "draw_sample",
    "evaluate_county",
    "exit_checklists",
    "household_exit_checklist",
    "household_flags",
    "household_score",
    "import_registry",
    "latest_answers",
    "rank_applicants",
    "record_score_answer",
    "record_spot_check",
    "record_step",
    "registry_matches",
    "reload_default_config",
    "sample_results",
    "saved_answers",
    "step_label",
    "today_view",
    "village_flags",
    "withdraw_score_answer",
    "workflow_state",
]
