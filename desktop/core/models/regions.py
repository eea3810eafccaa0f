"""Administrative areas: county → township → village → group (村民小组)."""

from __future__ import annotations

from sqlmodel import Field

from desktop.core.models.base import SyncedRow

REGION_LEVELS = ("province", "city", "county", "township", "village", "group")


class Region(SyncedRow, table=True):
    """A place. ``code`` is the 12-digit 统计用区划代码; groups, which have none, use the
    village code followed by a two-digit group number."""

    __tablename__ = "region"

    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=60)
    level: str = Field(max_length=32)
    parent_code: str | None = Field(default=None, index=True, max_length=32)
