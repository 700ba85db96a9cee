"""Alembic's entry point, run by every command (geosvc/db/migrate.py builds the Config).

It migrates on the SQLAlchemy Connection passed in `config.attributes["connection"]`,
inside that connection's transaction (the caller commits or rolls back: PostgreSQL DDL
is transactional). Without one, it opens an engine on `sqlalchemy.url` and commits
itself. Offline mode (`--sql`) renders the SQL instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from geosvc.db import migrate

config = context.config
CONFIGURE_OPTIONS = migrate.context_options()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **CONFIGURE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(connection=connection, **CONFIGURE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
