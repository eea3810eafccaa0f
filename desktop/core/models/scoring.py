"""Hand answers to the scoring rubric (评分表手工评定), synced and append-only.

When the data do not show an indicator (no danger grade on file, say), a cadre who saw the house
answers it by hand. The answer is evidence a village meeting relies on, so it travels to the
county like a visit and is never overwritten: a changed answer is a new row (the latest per
household and indicator wins) and voiding a row withdraws it.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class ScoreAnswer(SyncedRow, table=True):
    """One indicator of one household answered by hand (codes from the rubric file)."""

    __tablename__ = "score_answer"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    indicator: str = Field(max_length=64)
    option: str = Field(max_length=64)
    answered_by: str = Field(default="", max_length=80)
    answered_on: date
    note: str | None = Field(default=None, max_length=2000)
