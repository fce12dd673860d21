"""`gate migrate` creates the record's schema: the embedded SQLite file by default, DATABASE_URL when set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from gate.record.db import current_revision, head_revision, make_engine
from tests.conftest import ROOT
from tests.record.conftest import PG_URL, pg_schema


def _migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")} | env
    return subprocess.run([sys.executable, "-m", "gate.cli", "migrate"], capture_output=True, text=True, cwd=ROOT,
                          env=full, timeout=120)


def test_gate_migrate_creates_the_embedded_sqlite_record(tmp_path: Path) -> None:
    done = _migrate({"GATE_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"database": "sqlite", "revision": head_revision()}
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert _migrate({"GATE_DATA_DIR": str(tmp_path)}).returncode == 0  # again: nothing to do


def test_gate_migrate_uses_database_url() -> None:
    with pg_schema() as (schema, admin):
        done = _migrate({"DATABASE_URL": f"{PG_URL}?options=-csearch_path%3D{schema}"})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["database"] == "postgresql+psycopg"
        with admin.connect() as conn:
            tables = set(conn.execute(text("select table_name from information_schema.tables where table_schema = :s"),
                                      {"s": schema}).scalars())
        assert {"builds", "findings", "history", "audit_log", "alembic_version"} <= tables
