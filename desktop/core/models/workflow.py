"""Dated step records of the identification, exit and monitoring procedures (append-only)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class StepRecord(SyncedRow, table=True):
    __tablename__ = "step_record"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    workflow: str = Field(max_length=32)  # identification | exit | monitoring
    step: str = Field(max_length=32)
    step_date: date
    decided_by: str | None = Field(default=None, max_length=80)
    outcome: str = Field(default="pass", max_length=32)  # pass | fail | return
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    notice_start: date | None = None
    notice_end: date | None = None
    objections: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)
