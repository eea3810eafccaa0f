"""Tables that stay on this laptop: device identity and clock, the change log, field stamps,
data-check findings and drafts. None of them is written through the synced-row path."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class DeviceState(SQLModel, table=True):
    """One row: who this laptop is and where its clock and sequence stand."""

    __tablename__ = "device_state"

    id: int = Field(default=1, primary_key=True)
    device_id: str = Field(max_length=36)
    cadre: str = Field(default="", max_length=40)
    hlc_ms: int = 0
    hlc_counter: int = 0
    next_seq: int = 1


class ChangeLog(SQLModel, table=True):
    """Every write leaves field-level entries here: the sync payload and the audit trail."""

    __tablename__ = "change_log"
    # Indexes serve: exporting a device's own changes by seq, replaying one field's history during a
    # merge, a household's audit trail, the county's server_seq cursor. Each index costs every write,
    # so there are no others.
    __table_args__ = (
        Index("ix_change_log_device_seq", "device_id", "seq"),
        Index("ix_change_log_row_field", "tbl", "row_id", "field"),
    )

    rowid: int | None = Field(default=None, primary_key=True)
    change_id: str = Field(unique=True, max_length=80)
    device_id: str = Field(max_length=36)
    seq: int
    tbl: str = Field(max_length=32)
    row_id: str = Field(max_length=36)
    household_id: str | None = Field(default=None, index=True, max_length=36)
    field: str = Field(max_length=40)  # '*' for a whole new row
    value: str | None = None  # JSON
    hlc: str = Field(max_length=64)
    base_hlc: str | None = Field(default=None, max_length=64)
    op: str = Field(max_length=32)  # insert | update | void
    cadre: str = Field(default="", max_length=40)
    recorded_at: str = Field(max_length=32)  # wall-clock ISO time on the writing laptop
    server_seq: int | None = Field(default=None, index=True)
    acked: bool = Field(default=False)


class FieldStamp(SQLModel, table=True):
    """The stamp of the last write that won for a field (absent: the row's ``created_hlc``)."""

    __tablename__ = "field_stamp"

    tbl: str = Field(primary_key=True, max_length=32)
    row_id: str = Field(primary_key=True, max_length=36)
    field: str = Field(primary_key=True, max_length=40)
    hlc: str = Field(max_length=64)


class Finding(SQLModel, table=True):
    """A data-check result. Derived from the data, rebuilt by checks, never synced."""

    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(index=True, max_length=36)
    member_id: str | None = Field(default=None, max_length=36)
    rule: str = Field(index=True, max_length=40)
    severity: str = Field(max_length=32)  # error | warning
    field: str | None = Field(default=None, max_length=40)
    message: str = Field(max_length=400)


class Draft(SQLModel, table=True):
    """A form being typed, saved every few seconds so a crash or power cut loses almost nothing."""

    __tablename__ = "draft"

    key: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=32)
    household_id: str | None = Field(default=None, max_length=36)
    payload: str  # JSON
    saved_at: str = Field(max_length=32)


class Setting(SQLModel, table=True):
    """Small per-laptop values: enrollment, sync cursors, preferences."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=80)
    value: str  # JSON


class Conflict(SQLModel, table=True):
    """Two laptops changed one field concurrently: the winner was applied, both are kept here.

    ``id`` is derived from the two change ids, so every replica that sees the same pair records the
    same conflict whatever order the bundles arrived in.
    """

    __tablename__ = "conflict"

    id: str = Field(primary_key=True, max_length=64)
    tbl: str = Field(max_length=32)
    row_id: str = Field(max_length=36)
    household_id: str | None = Field(default=None, index=True, max_length=36)
    field: str = Field(max_length=40)
    winner_change_id: str = Field(max_length=80)
    winner_value: str | None = None
    winner_hlc: str = Field(max_length=64)
    winner_device: str = Field(max_length=36)
    winner_cadre: str = Field(default="", max_length=40)
    loser_change_id: str = Field(max_length=80)
    loser_value: str | None = None
    loser_hlc: str = Field(max_length=64)
    loser_device: str = Field(max_length=36)
    loser_cadre: str = Field(default="", max_length=40)
    detected_at: str = Field(max_length=32)
    resolved_by_change: str | None = Field(default=None, max_length=80)
