"""callback requests

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("call_id", sa.String(150), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("number", "requested_on"),
    )
    op.create_index("ix_callbacks_status", "callbacks", ["status"])


def downgrade() -> None:
    op.drop_index("ix_callbacks_status", table_name="callbacks")
    op.drop_table("callbacks")
