"""accounts and the SMS outbox

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("insurance_number", sa.String(20), nullable=False, unique=True),
        sa.Column("national_id", sa.String(20), nullable=False, unique=True),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
    )
    op.create_index("ix_persons_mobile", "persons", ["mobile"])
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("last_contribution_on", sa.Date(), nullable=True),
        sa.Column("last_contribution_minor", sa.BigInteger(), nullable=True),
        sa.Column("coverage_until", sa.Date(), nullable=True),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "account_transactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
    )
    op.create_index("ix_account_transactions_account_id", "account_transactions", ["account_id"])
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("call_id", sa.String(150), nullable=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("to_number", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway", sa.String(20), nullable=True),
        sa.Column("gateway_reference", sa.String(100), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_sms_messages_call_id", "sms_messages", ["call_id"])
    op.create_index("ix_sms_messages_status", "sms_messages", ["status"])
    op.create_index("ix_sms_messages_next_attempt_at", "sms_messages", ["next_attempt_at"])
    op.create_table(
        "sms_delivery_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("sms_messages.id"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
    )
    op.create_index("ix_sms_delivery_reports_message_id", "sms_delivery_reports", ["message_id"])


def downgrade() -> None:
    op.drop_table("sms_delivery_reports")
    op.drop_table("sms_messages")
    op.drop_table("account_transactions")
    op.drop_table("accounts")
    op.drop_index("ix_persons_mobile", table_name="persons")
    op.drop_table("persons")
