"""Enrollment codes bound to villages: hashed, with expiry and uses left.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enroll_code",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("villages", sa.Text, nullable=False),
        sa.Column("cadre", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("uses_left", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("enroll_code")
