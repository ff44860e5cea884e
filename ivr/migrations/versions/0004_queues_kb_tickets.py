"""queues, agents, knowledge base, tickets, callback attempts, surveys; call record details

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# (table, column) pairs with a plain index, named as SQLAlchemy names them (ix_<table>_<col>)
INDEXES = [
    ("call_records", "handled_by"),
    ("callback_attempts", "callback_id"),
    ("queue_calls", "call_id"),
    ("queue_calls", "queue"),
    ("queue_calls", "joined_at"),
    ("queue_calls", "agent"),
    ("agent_events", "agent"),
    ("agent_events", "at"),
    ("kb_entries", "language"),
    ("kb_entries", "category"),
    ("kb_entry_versions", "entry_id"),
    ("unanswered_questions", "call_id"),
    ("unanswered_questions", "asked_at"),
    ("tickets", "call_id"),
    ("tickets", "level1"),
    ("tickets", "category"),
    ("tickets", "status"),
    ("tickets", "created_at"),
    ("tickets", "due_at"),
    ("ticket_events", "ticket_id"),
    ("survey_responses", "agent"),
    ("survey_responses", "queue"),
    ("survey_responses", "answered_at"),
]


def upgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("handled_by", sa.String(8), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("self_service", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("category", sa.String(60), nullable=True))
        batch.add_column(sa.Column("wait_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("talk_s", sa.Float(), nullable=True))
    with op.batch_alter_table("call_records") as batch:
        batch.alter_column("tags", server_default=None)
        batch.alter_column("self_service", server_default=None)
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("queue", sa.String(80), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", TZ, nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(32), nullable=True))
        batch.add_column(sa.Column("done_at", TZ, nullable=True))
    with op.batch_alter_table("callbacks") as batch:
        batch.alter_column("attempts", server_default=None)
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callback_id", sa.Integer(), sa.ForeignKey("callbacks.id"), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("action_id", sa.String(64), nullable=False, unique=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
    )
    op.create_table(
        "queue_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(150), nullable=False),
        sa.Column("queue", sa.String(80), nullable=False),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("joined_at", TZ, nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(80), nullable=True),
        sa.Column("connected_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.UniqueConstraint("call_id", "queue", "joined_at"),
    )
    op.create_table(
        "agent_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent", sa.String(80), nullable=False),
        sa.Column("queue", sa.String(80), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
    )
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.UniqueConstraint("key", "language"),
    )
    op.create_table(
        "kb_entry_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("kb_entries.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("saved_at", TZ, nullable=False),
        sa.Column("saved_by", sa.String(80), nullable=False),
        sa.UniqueConstraint("entry_id", "version"),
    )
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(150), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("best_key", sa.String(80), nullable=True),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("asked_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("call_id", sa.String(150), nullable=True),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("level1", sa.String(16), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recording", sa.String(300), nullable=True),
        sa.Column("insured_ref", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(80), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
    )
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(150), nullable=False, unique=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("handled_by", sa.String(8), nullable=False),
        sa.Column("agent", sa.String(80), nullable=True),
        sa.Column("queue", sa.String(80), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("answered_at", TZ, nullable=False),
    )
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    for table in (
        "survey_responses",
        "ticket_events",
        "tickets",
        "unanswered_questions",
        "kb_entry_versions",
        "kb_entries",
        "agent_events",
        "queue_calls",
        "callback_attempts",
    ):
        op.drop_table(table)
    with op.batch_alter_table("callbacks") as batch:
        for column in ("done_at", "outcome", "next_attempt_at", "attempts", "queue"):
            batch.drop_column(column)
    with op.batch_alter_table("call_records") as batch:
        for column in ("talk_s", "wait_s", "category", "self_service", "tags", "handled_by"):
            batch.drop_column(column)
