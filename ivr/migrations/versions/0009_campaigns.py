"""outbound notification campaigns: campaigns, their numbers, the opt-out list

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"])
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(60), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action_id", sa.String(80), nullable=True, unique=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("listened", sa.Boolean(), nullable=False),
        sa.Column("pressed", sa.String(16), nullable=False),
        sa.Column("sms_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("campaign_id", "number"),
    )
    for column in ("campaign_id", "number", "status", "next_attempt_at"):
        op.create_index(f"ix_campaign_targets_{column}", "campaign_targets", [column])
    op.create_table(
        "campaign_opt_outs",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_opt_outs")
    for column in ("campaign_id", "number", "status", "next_attempt_at"):
        op.drop_index(f"ix_campaign_targets_{column}", table_name="campaign_targets")
    op.drop_table("campaign_targets")
    op.drop_index("ix_campaigns_status", table_name="campaigns")
    op.drop_table("campaigns")
