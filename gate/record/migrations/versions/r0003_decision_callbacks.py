"""decisions.callback_job_id, callback_result, callback_delivered_at: a decision's ``build.decision`` callback is
tracked on the decision, so that the reaper can queue one that was never queued (Redis down when the reviewer
decided) or whose job was lost, until the store has it.

Decisions made before this revision get the result of their latest ``build.decision`` delivery attempt (the
``deliveries`` rows of their build), and are delivered if it was; one with no attempt stays without a result,
so the reaper sends it if it is recent enough (workers.reaper.CALLBACK_WINDOW_S).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:40:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_job_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('callback_result', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('callback_delivered_at', sa.Float(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('build_id', sa.String),
                         sa.column('callback_result', sa.String), sa.column('callback_delivered_at', sa.Float))
    deliveries = sa.table('deliveries', sa.column('id', sa.Integer), sa.column('build_id', sa.String),
                          sa.column('attempt', sa.JSON), sa.column('created_at', sa.Float))
    latest = {r.build_id: r.id for r in conn.execute(
        sa.select(decisions.c.build_id, sa.func.max(decisions.c.id).label('id')).group_by(decisions.c.build_id))}
    if not latest:
        return
    attempts: dict[str, tuple[str, float | None]] = {}
    rows = conn.execute(sa.select(deliveries.c.build_id, deliveries.c.attempt, deliveries.c.created_at)
                        .where(deliveries.c.build_id.in_(sa.select(decisions.c.build_id)))
                        .order_by(deliveries.c.id))
    for build_id, attempt, created_at in rows:
        data: dict[str, Any] = json.loads(attempt) if isinstance(attempt, str | bytes) else dict(attempt or {})
        if data.get('type') == 'build.decision' and data.get('result'):
            attempts[build_id] = (str(data['result']), created_at)
    for build_id, (result, at) in attempts.items():
        if build_id in latest:
            conn.execute(sa.update(decisions).where(decisions.c.id == latest[build_id]).values(
                callback_result=result[:16], callback_delivered_at=at if result == 'delivered' else None))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('callback_delivered_at')
        batch_op.drop_column('callback_result')
        batch_op.drop_column('callback_job_id')
