"""The registered household (户) and everything recorded once per household."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field

from desktop.core.models.base import SyncedRow


class Household(SyncedRow, table=True):
    __tablename__ = "household"

    number: str = Field(index=True, unique=True, max_length=32)  # 户编号
    county_code: str = Field(default="", max_length=32)
    township_code: str = Field(default="", max_length=32)
    village_code: str = Field(index=True, max_length=32)
    group_code: str | None = Field(default=None, index=True, max_length=32)
    head_member_id: str | None = Field(default=None, max_length=36)
    head_name: str = Field(default="", max_length=40)  # denormalised for lists and notices
    size: int = Field(default=0)  # current members, kept by services
    phone: str | None = Field(default=None, max_length=20)
    bank_name: str | None = Field(default=None, max_length=60)
    bank_account: str | None = Field(default=None, max_length=32)
    standard: str | None = Field(default=None, max_length=32)  # 识别标准
    category: str | None = Field(default=None, max_length=32)  # 贫困户属性
    main_cause: str | None = Field(default=None, max_length=32)
    other_cause_1: str | None = Field(default=None, max_length=32)
    other_cause_2: str | None = Field(default=None, max_length=32)
    status: str = Field(default="identifying", index=True, max_length=32)
    identified_year: int | None = None
    exit_year: int | None = None  # 脱贫年度
    monitoring_kind: str | None = Field(default=None, max_length=32)
    monitoring_since: date | None = None
    risk_type: str | None = Field(default=None, max_length=32)
    # Housing
    housing_area: float | None = None  # m², 0 = no house
    housing_structure: str | None = Field(default=None, max_length=32)
    built_year: int | None = None
    danger_grade: str | None = Field(default=None, max_length=32)
    relocated: bool = False  # 易地扶贫搬迁
    # Utilities
    power_living: bool | None = None
    power_production: bool | None = None
    water_source: str | None = Field(default=None, max_length=32)
    water_safe: bool | None = None
    water_difficult: bool | None = None
    fuel: str | None = Field(default=None, max_length=32)
    sanitary_toilet: bool | None = None
    road_distance_km: float | None = None
    road_type: str | None = Field(default=None, max_length=32)
    # Land (亩)
    land_cultivated: float | None = None
    land_irrigated: float | None = None
    land_paddy: float | None = None
    land_dry: float | None = None
    land_forest: float | None = None
    land_orchard: float | None = None
    land_water_surface: float | None = None
    land_pasture: float | None = None
    land_returned_forest: float | None = None
    # Organisation
    cooperative_member: bool | None = None
    industry_type: str | None = Field(default=None, max_length=40)
    mutual_fund: bool | None = None
    # Eligibility evidence (四进七不进)
    owns_car: bool | None = None
    owns_commercial_housing: bool | None = None
    runs_business: bool | None = None
    away_over_year: bool | None = None
    plan: str | None = Field(default=None, max_length=2000)  # 脱贫计划
    outcome: str | None = Field(default=None, max_length=2000)  # 帮扶成效
    note: str | None = Field(default=None, max_length=2000)
