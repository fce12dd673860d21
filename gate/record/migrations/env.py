"""Alembic environment: the engine comes from gate.record.db (the same URL as the service), never an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from gate.record.db import make_engine
from gate.record.models import Base

config = context.config


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    return make_engine(config.get_main_option("sqlalchemy.url") or None)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("the record's migrations run online only (gate migrate)")
run_migrations_online()
