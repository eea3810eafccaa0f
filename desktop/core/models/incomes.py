"""Yearly income (收入测算). All items of a year share one stamp so they merge as a block."""

from __future__ import annotations

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class Income(SyncedRow, table=True):
    __tablename__ = "income"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    year: int = Field(index=True)
    wage: float = 0.0  # 工资性收入
    business: float = 0.0  # 生产经营性收入
    property: float = 0.0  # 财产性收入
    transfer: float = 0.0  # 转移性收入
    business_cost: float = 0.0  # 生产经营性支出
    note: str | None = Field(default=None, max_length=500)
