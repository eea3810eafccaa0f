"""Helpers (帮扶责任人), their dated assignments, and assistance commitments (帮扶措施)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class Helper(SyncedRow, table=True):
    __tablename__ = "helper"

    name: str = Field(max_length=40)
    unit: str | None = Field(default=None, max_length=80)  # 帮扶单位
    level: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)


class HelperAssignment(SyncedRow, table=True):
    """A change of helper is a new dated line, never an overwrite (不脱贫不脱钩)."""

    __tablename__ = "helper_assignment"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    helper_id: str = Field(foreign_key="helper.id", index=True, max_length=36)
    start_date: date
    end_date: date | None = None


class Commitment(SyncedRow, table=True):
    __tablename__ = "commitment"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    category: str = Field(max_length=32)
    measure: str = Field(max_length=32)
    promised: str = Field(default="", max_length=1000)
    project: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=80)
    helper_id: str | None = Field(default=None, foreign_key="helper.id", max_length=36)
    amount: float | None = None
    fund_source: str | None = Field(default=None, max_length=32)
    due_date: date | None = Field(default=None, index=True)
    status: str = Field(default="planned", index=True, max_length=32)
    delivered_date: date | None = None
    confirmed: bool = False  # 户主签名 / household confirmation
    note: str | None = Field(default=None, max_length=1000)
