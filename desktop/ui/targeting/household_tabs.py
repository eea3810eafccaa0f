"""Adds the targeting tabs to a household view (one call from ``HouseholdView``)."""

from __future__ import annotations

from typing import Any

from desktop.core.i18n import _


def add_targeting_tabs(view: Any) -> None:
    """识别与退出 (procedures and the step form) and 进退评估 (flags, exit checklist, score)."""
    from desktop.ui.targeting.assessment_tab import AssessmentTab
    from desktop.ui.targeting.workflow_tab import WorkflowTab

    view.workflow_tab = WorkflowTab(view)
    view.assessment_tab = AssessmentTab(view)
    history = view.tabs.indexOf(view.history)
    view.tabs.insertTab(history, view.workflow_tab, _("识别与退出"))
    view.tabs.insertTab(history + 1, view.assessment_tab, _("进退评估"))
