"""Alembic migrations of the record (run by gate.record.db.upgrade, i.e. `gate migrate`)."""
