"""The county store: change log, cells, row places, conflicts, devices, counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("server_seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("change_id", sa.String(120), nullable=False, unique=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("tbl", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(40), nullable=False),
        sa.Column("household_id", sa.String(40)),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("base_hlc", sa.String(80)),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("cadre", sa.Text),
        sa.Column("recorded_at", sa.String(40)),
    )
    op.create_index("ix_change_log_field", "change_log", ["tbl", "row_id", "field"])
    op.create_index("ix_change_log_household", "change_log", ["household_id", "server_seq"])
    op.create_table(
        "cell",
        sa.Column("tbl", sa.String(40), primary_key=True),
        sa.Column("row_id", sa.String(40), primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("hlc", sa.String(80), nullable=False),
    )
    op.create_table(
        "row_place",
        sa.Column("tbl", sa.String(40), primary_key=True),
        sa.Column("row_id", sa.String(40), primary_key=True),
        sa.Column("household_id", sa.String(40)),
        sa.Column("village", sa.String(40)),
        sa.Column("code", sa.String(40)),
        sa.Column("parent_code", sa.String(40)),
        sa.Column("level", sa.String(20)),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(40)),
        sa.Column("voided", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_row_place_village", "row_place", ["tbl", "village"])
    op.create_index("ux_row_place_code", "row_place", ["tbl", "code"], unique=True)
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tbl", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(40), nullable=False),
        sa.Column("household_id", sa.String(40)),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("winner_change_id", sa.String(120), nullable=False),
        sa.Column("winner_value", sa.Text),
        sa.Column("winner_hlc", sa.String(80), nullable=False),
        sa.Column("winner_device", sa.String(64), nullable=False),
        sa.Column("winner_cadre", sa.Text),
        sa.Column("loser_change_id", sa.String(120), nullable=False),
        sa.Column("loser_value", sa.Text),
        sa.Column("loser_hlc", sa.String(80), nullable=False),
        sa.Column("loser_device", sa.String(64), nullable=False),
        sa.Column("loser_cadre", sa.Text),
        sa.Column("detected_at", sa.String(40), nullable=False),
        sa.Column("resolved_by_change", sa.String(120)),
    )
    op.create_index("ix_conflict_field", "conflict", ["tbl", "row_id", "field"])
    op.create_table(
        "device",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.Column("cadre", sa.Text, nullable=False, server_default=""),
        sa.Column("enrolled_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40)),
        sa.Column("revoke_reason", sa.Text),
        sa.Column("bundle_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("bundle_hash", sa.String(128), nullable=False, server_default=""),
        sa.Column("seq_to", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("cursor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("down_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("down_hash", sa.String(128), nullable=False, server_default=""),
        sa.Column("ack_sent", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_contact", sa.String(40)),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(
        sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "server_seq", "value": 0}],
    )


def downgrade() -> None:
    for name in ("meta", "counter", "device", "conflict", "row_place", "cell", "change_log"):
        op.drop_table(name)
