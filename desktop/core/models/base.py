"""Columns every synced row carries.

Rows are keyed by UUID strings so laptops can create them offline without colliding, and are never
hard-deleted: ``voided`` is a tombstone that travels through sync like any other field.
"""

from __future__ import annotations

import uuid

from sqlmodel import Field, SQLModel


def new_id() -> str:
    return str(uuid.uuid4())


class SyncedRow(SQLModel):
    """Mixin for synced tables: identity, creation stamp and tombstone."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    created_hlc: str = Field(default="", max_length=64)
    voided: bool = Field(default=False)
    void_reason: str | None = Field(default=None, max_length=200)
