"""admin web: users, sessions, audit log, flow drafts and versions, announcements, recordings

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("admin_users.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_index("ix_admin_sessions_user_id", "admin_sessions", ["user_id"])
    op.create_index("ix_admin_sessions_expires_at", "admin_sessions", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "flow_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file", sa.String(120), nullable=False, unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(80), nullable=False),
        sa.Column("saved_at", TZ, nullable=False),
    )
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(80), nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.UniqueConstraint("file", "version"),
    )
    op.create_index("ix_flow_versions_file", "flow_versions", ["file"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("ended_by", sa.String(80), nullable=True),
    )
    op.create_index("ix_announcements_starts_at", "announcements", ["starts_at"])
    op.create_index("ix_announcements_ends_at", "announcements", ["ends_at"])
    op.create_table(
        "prompt_recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.UniqueConstraint("language", "text_hash"),
    )
    # Reports read call records by start time (indexed since 0001) and these:
    op.create_index("ix_call_records_queue", "call_records", ["queue"])


def downgrade() -> None:
    op.drop_index("ix_call_records_queue", "call_records")
    for table in (
        "prompt_recordings",
        "announcements",
        "flow_versions",
        "flow_drafts",
        "audit_log",
        "admin_sessions",
        "admin_users",
    ):
        op.drop_table(table)
