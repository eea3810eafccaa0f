"""Tables of the targeting work (精准识别): spot-check results and imported registry lists.

``spot_check`` is synced and append-only: a result recorded at a door travels to the county like a
visit, and a correction is a new record (the latest per household and sample counts).
``registry_record`` stays on this laptop: lists the county hands out (vehicles, commercial
property, businesses, salaried staff, village cadres) are re-importable evidence, not ledger data,
and the unique key makes importing the same list twice add nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from desktop.core.models.base import SyncedRow


class SpotCheck(SyncedRow, table=True):
    """One household's result in a drawn sample (市抽查 / third-party evaluation)."""

    __tablename__ = "spot_check"

    household_id: str = Field(foreign_key="household.id", index=True, max_length=36)
    drawn_by: str = Field(default="", max_length=80)
    seed: int
    sample_id: str = Field(index=True, max_length=80)
    check_date: date
    result: str = Field(max_length=32)  # match | mismatch | unverified
    note: str | None = Field(default=None, max_length=2000)


class RegistryRecord(SQLModel, table=True):
    """One line of an imported registry list, keyed by the person's 18-digit ID number."""

    __tablename__ = "registry_record"
    __table_args__ = (UniqueConstraint("source", "id_key", "detail", name="uq_registry_record"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(
        index=True, max_length=32
    )  # vehicle | property | business | salaried | cadre
    id_key: str = Field(index=True, max_length=18)
    name: str = Field(default="", max_length=40)
    detail: str = Field(default="", max_length=400)
    source_file: str = Field(default="", max_length=200)
    imported_at: str = Field(max_length=32)
