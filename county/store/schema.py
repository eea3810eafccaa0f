"""The county store's tables (SQLAlchemy Core): what the server needs, not a laptop's typed rows.

* ``change_log`` — every accepted change verbatim, numbered by the county (``server_seq``). It is
  the county's history and the source of every down-bundle.
* ``cell`` — the last-writer-wins value of each (table, row, field): the county's merged state
  (an insert keeps its whole row under field ``*``; see :mod:`county.store.accept`).
* ``row_place`` — for each row, the household and village it belongs to (and a few fields the
  county view counts by): the authorisation check and down-bundles read it.
* ``conflict`` — concurrent differing writes of one field, with the same ids the laptops record.
* ``device`` — enrolled laptops: certificate, revocation, their chain of up-bundles, their cursor,
  the down-bundles sent to them and their last contact.
* ``enroll_code`` — one-time codes the county hands a cadre or a township office: hashed, with
  the villages they enroll for, an expiry and the uses left (see :mod:`county.enroll_codes`).
* ``counter`` — the next ``server_seq``; its row lock orders the numbering (see ``accept``).
* ``meta`` — the county's own device id and other small facts.

The schema is created and changed by Alembic (``county/migrations``), the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

change_log = Table(
    "change_log",
    metadata,
    Column("server_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("change_id", String(120), nullable=False, unique=True),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(40), nullable=False),
    Column("household_id", String(40)),
    Column("field", String(64), nullable=False),
    Column("value", Text),
    Column("hlc", String(80), nullable=False),
    Column("base_hlc", String(80)),
    Column("op", String(16), nullable=False),
    Column("cadre", Text),
    Column("recorded_at", String(40)),
    Index("ix_change_log_field", "tbl", "row_id", "field"),
    Index("ix_change_log_household", "household_id", "server_seq"),
)

cell = Table(
    "cell",
    metadata,
    Column("tbl", String(40), primary_key=True),
    Column("row_id", String(40), primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("value", Text),
    Column("hlc", String(80), nullable=False),
)

row_place = Table(
    "row_place",
    metadata,
    Column("tbl", String(40), primary_key=True),
    Column("row_id", String(40), primary_key=True),
    Column("household_id", String(40)),
    Column("village", String(40)),
    Column("code", String(40)),  # region code, or household number
    Column("parent_code", String(40)),
    Column("level", String(20)),
    Column("name", Text),
    Column("status", String(40)),
    Column("voided", Boolean, nullable=False, default=False),
    Index("ix_row_place_village", "tbl", "village"),
    # a region's code and a household's number (户编号) are unique, as on every laptop
    Index("ux_row_place_code", "tbl", "code", unique=True),
)

conflict = Table(
    "conflict",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(40), nullable=False),
    Column("household_id", String(40)),
    Column("field", String(64), nullable=False),
    Column("winner_change_id", String(120), nullable=False),
    Column("winner_value", Text),
    Column("winner_hlc", String(80), nullable=False),
    Column("winner_device", String(64), nullable=False),
    Column("winner_cadre", Text),
    Column("loser_change_id", String(120), nullable=False),
    Column("loser_value", Text),
    Column("loser_hlc", String(80), nullable=False),
    Column("loser_device", String(64), nullable=False),
    Column("loser_cadre", Text),
    Column("detected_at", String(40), nullable=False),
    Column("resolved_by_change", String(120)),
    Index("ix_conflict_field", "tbl", "row_id", "field"),
)

device = Table(
    "device",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("certificate", Text, nullable=False),
    Column("cadre", Text, nullable=False, default=""),
    Column("enrolled_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoke_reason", Text),
    # the chain of up-bundles applied from this device
    Column("bundle_seq", BigInteger, nullable=False, default=0),
    Column("bundle_hash", String(128), nullable=False, default=""),
    Column("seq_to", BigInteger, nullable=False, default=0),
    # the highest server_seq the device says it holds (from its bundles and downloads)
    Column("cursor", BigInteger, nullable=False, default=0),
    # down-bundles written for it
    Column("down_seq", BigInteger, nullable=False, default=0),
    Column("down_hash", String(128), nullable=False, default=""),
    Column("ack_sent", BigInteger, nullable=False, default=0),
    Column("last_contact", String(40)),
)

enroll_code = Table(
    "enroll_code",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("role", String(20), nullable=False),  # device | township-relay
    Column("villages", Text, nullable=False),  # JSON list of 12-digit codes
    Column("cadre", Text, nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),  # UTC, YYYY-MM-DDTHH:MM:SSZ
    Column("uses_left", BigInteger, nullable=False),
)

counter = Table(
    "counter",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
