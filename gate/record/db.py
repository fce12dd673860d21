"""The record's database: which one, its engine, and its schema migrations.

``DATABASE_URL`` (a SQLAlchemy URL; ``postgresql+psycopg://user@host/db`` in production, a plain
``postgresql://`` or ``postgres://`` is read as psycopg) chooses it; without it the record is an embedded
SQLite file, ``gate.db`` under the data directory (``GATE_DATA_DIR``, ``./var`` by default), in WAL mode with
foreign keys on. ``upgrade()`` applies the Alembic migrations shipped in ``gate/record/migrations``; ``gate
migrate`` calls it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "gate.db"


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``DATABASE_URL``, else the embedded SQLite file under the data directory."""
    e = os.environ if env is None else env
    url = (e.get("DATABASE_URL") or "").strip()
    if url:
        return normalise(url)
    data_dir = Path(e.get("GATE_DATA_DIR") or "var")
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def normalise(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3, the driver the gate installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, begins transactions (see _sqlite_begin)
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
    finally:
        cur.close()


def _sqlite_begin(conn: Any) -> None:
    """A transaction that will write takes SQLite's write lock at its start (BEGIN IMMEDIATE), waiting up to the
    busy timeout for it: a deferred transaction that reads and then writes fails at once when another writer
    got in between. Reads stay deferred and never wait for a writer (WAL)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_write") else "BEGIN")


def writing(engine: Engine) -> Engine:
    """The engine for a transaction that writes (on SQLite: BEGIN IMMEDIATE; elsewhere the same engine)."""
    return engine.execution_options(sqlite_write=True) if engine.dialect.name == "sqlite" else engine


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`). SQLite: the parent folder is created."""
    parsed = make_url(normalise(url) if isinstance(url, str) else (url or database_url()))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(url: str | Engine | None = None, revision: str = "head") -> str | None:
    """Bring the schema to ``revision`` (the newest by default); returns the revision it is then at."""
    from alembic import command

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        command.upgrade(_alembic_config(engine), revision)
        return current_revision(engine)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(make_engine("sqlite://"))
    head: str | None = ScriptDirectory.from_config(cfg).get_current_head()
    return head
