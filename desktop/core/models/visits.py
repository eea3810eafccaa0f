"""Home visits (走访记录) and photos. Both are append-only: they merge as a union."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class Visit(SyncedRow, table=True):
    __tablename__ = "visit"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    helper_id: str | None = Field(default=None, foreign_key="helper.id", max_length=36)
    visit_date: date = Field(index=True)
    purpose: str | None = Field(default=None, max_length=32)
    income_spending: str | None = Field(default=None, max_length=2000)
    living_conditions: str | None = Field(default=None, max_length=2000)
    health_schooling: str | None = Field(default=None, max_length=2000)
    policies_received: str | None = Field(default=None, max_length=2000)
    wishes: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=4000)
    food_ok: bool | None = None  # 不愁吃
    clothing_ok: bool | None = None  # 不愁穿
    education_ok: bool | None = None  # 义务教育有保障
    medical_ok: bool | None = None  # 基本医疗有保障
    housing_ok: bool | None = None  # 住房安全有保障
    water_ok: bool | None = None  # 饮水安全有保障
    follow_ups: str | None = Field(default=None, max_length=2000)
    confirmed: bool = False


class Photo(SyncedRow, table=True):
    """A photo's metadata; the bytes live in the content-addressed store under ``sha256``."""

    __tablename__ = "photo"

    sha256: str = Field(index=True, max_length=64)
    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    owner_table: str = Field(max_length=32)  # visit, commitment, step_record, household
    owner_id: str = Field(index=True, max_length=36)
    caption: str | None = Field(default=None, max_length=200)
    taken_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
