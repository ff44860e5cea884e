"""flow drafts remember the comment lines the admin deleted (publishing refuses to lose others)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_drafts") as table:
        table.add_column(
            sa.Column("removed_comments", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("flow_drafts") as table:
        table.drop_column("removed_comments")
