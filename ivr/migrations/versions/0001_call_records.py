"""call records

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(150), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("number_dialled", sa.String(), nullable=False),
        sa.Column("caller", sa.String(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("entry", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("queue", sa.String(80), nullable=True),
        sa.Column("queue_status", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id"),
    )
    op.create_index("ix_call_records_started_at", "call_records", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_records_started_at", table_name="call_records")
    op.drop_table("call_records")
