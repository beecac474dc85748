"""Alembic environment: migrates the connection handed over by archive.database, or a URL."""

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from archive.models import Base, include_name

config = context.config


def run_migrations(connection: Connection) -> None:
    # Batch mode lets ALTER-style migrations work on SQLite by copying tables.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.begin() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
