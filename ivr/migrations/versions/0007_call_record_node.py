"""call records name the node handling the call (IVR_NODE_ID)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("call_records", sa.Column("node", sa.String(100), nullable=True))
    op.create_index("ix_call_records_node", "call_records", ["node"])


def downgrade() -> None:
    op.drop_index("ix_call_records_node", table_name="call_records")
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("node")
