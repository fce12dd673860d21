"""decisions.reviewer_identified_by: how a decision's reviewer was identified, review_session (signed in on the
review pages) or store_token (named in a request made with the store's API token). Decisions made before this
revision keep NULL: the record did not say, and it cannot be told afterwards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewer_identified_by', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('reviewer_identified_by')
