"""builds.status index: the reaper's list of builds not decided yet, read every few seconds once the service
keeps its builds in the record.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.create_index('ix_builds_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_index('ix_builds_status')
