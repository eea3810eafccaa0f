"""The data model. Import from here: every table is registered on ``SQLModel.metadata``.

``SYNCED`` lists the tables that only the unit of work may write; ``FIELD_GROUPS`` names fields that
always change together and share one stamp; ``APPEND_ONLY`` tables merge as a union.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from desktop.core.models.assistance import Commitment, Helper, HelperAssignment
from desktop.core.models.base import SyncedRow, new_id
from desktop.core.models.households import Household
from desktop.core.models.incomes import Income
from desktop.core.models.local import (
    ChangeLog,
    Conflict,
    DeviceState,
    Draft,
    FieldStamp,
    Finding,
    Setting,
)
from desktop.core.models.members import Member
from desktop.core.models.regions import REGION_LEVELS, Region
from desktop.core.models.scoring import ScoreAnswer
from desktop.core.models.targeting import RegistryRecord, SpotCheck
from desktop.core.models.visits import Photo, Visit
from desktop.core.models.workflow import StepRecord

SYNCED: dict[str, type[SyncedRow]] = {
    model.__tablename__: model  # type: ignore[misc]
    for model in (
        Region,
        Household,
        Member,
        Income,
        Helper,
        HelperAssignment,
        Commitment,
        Visit,
        Photo,
        StepRecord,
        SpotCheck,
        ScoreAnswer,
    )
}

FIELD_GROUPS: dict[str, list[tuple[str, ...]]] = {
    "household": [
        ("county_code", "township_code", "village_code", "group_code"),
        ("bank_name", "bank_account"),
        ("main_cause", "other_cause_1", "other_cause_2"),
        ("monitoring_kind", "monitoring_since", "risk_type"),
    ],
    "income": [("wage", "business", "property", "transfer", "business_cost")],
    "member": [("left_reason", "left_date")],
}

APPEND_ONLY = frozenset(
    {"visit", "photo", "step_record", "helper_assignment", "spot_check", "score_answer"}
)

metadata = SQLModel.metadata

__all__ = [
    "APPEND_ONLY",
    "FIELD_GROUPS",
    "REGION_LEVELS",
    "SYNCED",
    "ChangeLog",
    "Conflict",
    "Setting",
    "Commitment",
    "DeviceState",
    "Draft",
    "FieldStamp",
    "Finding",
    "Helper",
    "HelperAssignment",
    "Household",
    "Income",
    "Member",
    "Photo",
    "Region",
    "RegistryRecord",
    "ScoreAnswer",
    "StepRecord",
    "SpotCheck",
    "SyncedRow",
    "Visit",
    "metadata",
    "new_id",
]
