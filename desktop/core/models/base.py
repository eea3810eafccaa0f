"""Columns every synced row carries.

Rows are keyed by UUID strings so laptops can create them offline without colliding, and are never
hard-deleted: ``voided`` is a tombstone that travels through sync like any other field.
"""

from __future__ import annotations

import os

from sqlmodel import Field, SQLModel


def new_id() -> str:
    """A random (version 4) UUID as text: exactly ``str(uuid.uuid4())``, formatted directly
    because a roster import or a demo county makes ~100,000 of them."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class SyncedRow(SQLModel):
    """Mixin for synced tables: identity, creation stamp and tombstone."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    created_hlc: str = Field(default="", max_length=64)
    voided: bool = Field(default=False)
    void_reason: str | None = Field(default=None, max_length=200)
