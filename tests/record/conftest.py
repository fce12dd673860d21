"""The record under test, on both databases: an SQLite file per test, and a PostgreSQL schema per test.

PostgreSQL is the CI machine's (``postgresql+psycopg://postgres@127.0.0.1:5432/test``, trust auth, or
``GATE_TEST_DATABASE_URL``); each test gets its own schema, dropped afterwards, so tests in parallel or other
suites using the same database never see each other's rows. When PostgreSQL does not answer, its cases are
skipped with the reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gate.record.db import make_engine, upgrade
from gate.record.repository import Record
from tests.conftest import scan_fixture

PG_URL = os.environ.get("GATE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@cache
def _pg_problem() -> str | None:
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip, and say why
        return f"PostgreSQL at {PG_URL} does not answer: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


@contextmanager
def pg_schema() -> Iterator[tuple[str, Engine]]:
    """A PostgreSQL schema of the test's own (and an autocommit engine on the database), dropped afterwards;
    the test is skipped, saying why, when PostgreSQL does not answer."""
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    schema = "t_" + secrets.token_hex(6)
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema, admin
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind (no schema yet)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
        yield eng
        eng.dispose()
        return
    with pg_schema() as (schema, _admin):
        eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def record(engine: Engine) -> Record:
    upgrade(engine)
    return Record(engine)


@cache
def verdict(fixture: str) -> dict[str, Any]:
    """A real verdict: the fixture APK scanned with the complete listing."""
    return scan_fixture(fixture).to_dict()
