"""Household members (家庭成员). A member leaves (死亡, 迁出, 婚出); nobody is deleted."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class Member(SyncedRow, table=True):
    __tablename__ = "member"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    name: str = Field(max_length=40)
    id_number: str | None = Field(default=None, index=True, max_length=20)
    gender: str | None = Field(default=None, max_length=32)
    birth_date: date | None = None
    relation: str | None = Field(default=None, max_length=32)
    ethnicity: str | None = Field(default=None, max_length=32)
    education: str | None = Field(default=None, max_length=32)
    school_status: str | None = Field(default=None, max_length=32)
    health: str | None = Field(default=None, max_length=32)
    labour: str | None = Field(default=None, max_length=32)
    work_status: str | None = Field(default=None, max_length=32)
    work_months: int | None = None
    dibao: bool | None = None  # 低保人口
    medical_insurance: bool | None = None
    serious_illness_insurance: bool | None = None
    pension_insurance: bool | None = None
    public_salaried: bool | None = None  # 财政供养
    village_cadre: bool | None = None
    phone: str | None = Field(default=None, max_length=20)
    left_reason: str | None = Field(default=None, max_length=32)
    left_date: date | None = None
    sort_order: int = 0
