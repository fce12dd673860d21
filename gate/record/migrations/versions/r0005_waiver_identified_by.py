"""waivers.author_identified_by and waivers.revoked_by_identified_by: how a waiver's author (and whoever revoked
it) was identified, review_session (signed in on the review pages) or store_token (named in a request made with
the store's API token). Waivers added (or revoked) before this revision keep NULL: the record did not say, and it
cannot be told afterwards.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_identified_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_identified_by', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.drop_column('revoked_by_identified_by')
        batch_op.drop_column('author_identified_by')
