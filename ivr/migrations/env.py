"""Alembic environment: runs migrations against the URL set by ivr.core.db.alembic_config."""

from __future__ import annotations

from alembic import context

from ivr.core.db import make_engine
from ivr.core.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""

if context.is_offline_mode():  # `alembic upgrade --sql`: print the SQL instead of running it
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)  # the same SQLite folder, WAL and locking as the service
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=engine.dialect.name == "sqlite",  # SQLite's ALTER is limited
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
