"""The record: tenants, builds, verdicts, findings, history, deliveries, delisted registry, reviewers, decisions,
waivers and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-12-05 12:20:22.545672
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=True),
    sa.Column('subject_kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_subject', ['subject_kind', 'subject_id'], unique=False)

    op.create_table('delisted',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=True),
    sa.Column('developer', sa.String(length=255), nullable=True),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_delisted'))
    )
    op.create_table('reviewers',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reviewers'))
    )
    op.create_table('tenants',
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('allowed_hosts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=True),
    sa.Column('policy_override', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('callback_disabled', sa.Boolean(), nullable=False),
    sa.Column('review_blocks', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_tenants')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tenants_token_hash'))
    )
    op.create_table('builds',
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('platform_build_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('review_status', sa.String(length=16), nullable=True),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('started_at', sa.Float(), nullable=True),
    sa.Column('decided_at', sa.Float(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('verdict_token', sa.String(length=100), nullable=False),
    sa.Column('apk_name', sa.Text(), nullable=True),
    sa.Column('apk_path', sa.Text(), nullable=True),
    sa.Column('apk_size', sa.BigInteger(), nullable=False),
    sa.Column('apk_sha256', sa.String(length=64), nullable=True),
    sa.Column('artifact', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('listing', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('verdict', sa.String(length=8), nullable=True),
    sa.Column('package', sa.String(length=255), nullable=True),
    sa.Column('version_code', sa.BigInteger(), nullable=True),
    sa.Column('developer', sa.String(length=255), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.name'], name=op.f('fk_builds_tenant_tenants'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('build_id', name=op.f('pk_builds')),
    sa.UniqueConstraint('verdict_token', name=op.f('uq_builds_verdict_token'))
    )
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.create_index('ix_builds_decided', ['decided_at'], unique=False)
        batch_op.create_index('ix_builds_developer', ['tenant', 'developer', 'review_status', 'decided_at'],
                              unique=False)
        batch_op.create_index('ix_builds_package', ['tenant', 'package', 'decided_at'], unique=False)
        batch_op.create_index('ix_builds_queue', ['tenant', 'review_status', 'decided_at'], unique=False)
        batch_op.create_index('ix_builds_tenant_received', ['tenant', 'received_at'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('version_key', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('version_code', sa.BigInteger(), nullable=True),
    sa.Column('version_name', sa.String(length=255), nullable=True),
    sa.Column('certificates', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=True),
    sa.Column('finding_keys', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('first_build_id', sa.String(length=40), nullable=False),
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('builds', sa.Integer(), nullable=False),
    sa.Column('first_decided_at', sa.Float(), nullable=False),
    sa.Column('decided_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.name'], name=op.f('fk_history_tenant_tenants'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history')),
    sa.UniqueConstraint('tenant', 'package', 'version_key', 'sha256',
                        name=op.f('uq_history_tenant_package_version_key_sha256'))
    )
    op.create_table('waivers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=True),
    sa.Column('developer', sa.String(length=255), nullable=True),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('evidence_match', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('revoked_at', sa.Float(), nullable=True),
    sa.Column('revoked_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.name'], name=op.f('fk_waivers_tenant_tenants'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waivers'))
    )
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.create_index('ix_waivers_lookup', ['tenant', 'rule_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reviewer', sa.String(length=100), nullable=False),
    sa.Column('decided_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.build_id'], name=op.f('fk_decisions_build_id_builds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_build_id'), ['build_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_decided_at'), ['decided_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('attempt', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.build_id'], name=op.f('fk_deliveries_build_id_builds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_build_id'), ['build_id'], unique=False)

    op.create_table('finding_sdks',
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sdk', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.build_id'], name=op.f('fk_finding_sdks_build_id_builds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('build_id', 'seq', 'sdk', name=op.f('pk_finding_sdks')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('finding_sdks', schema=None) as batch_op:
        batch_op.create_index('ix_finding_sdks_sdk', ['sdk', 'build_id'], unique=False)

    op.create_table('findings',
    sa.Column('build_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tenant', sa.String(length=63), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('sdk', sa.String(length=100), nullable=True),
    sa.Column('package', sa.String(length=255), nullable=True),
    sa.Column('developer', sa.String(length=255), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('evidence_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.build_id'], name=op.f('fk_findings_build_id_builds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('build_id', 'seq', name=op.f('pk_findings')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_created', ['created_at'], unique=False)
        batch_op.create_index('ix_findings_developer', ['developer', 'created_at'], unique=False)
        batch_op.create_index('ix_findings_package', ['tenant', 'package', 'created_at'], unique=False)
        batch_op.create_index('ix_findings_rule', ['rule_id', 'created_at'], unique=False)

    op.create_table('verdicts',
    sa.Column('build_id', sa.String(length=40), nullable=False),
    # JSONB on PostgreSQL; zlib-compressed JSON on SQLite (gate.record.models.Document)
    sa.Column('document', sa.LargeBinary().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.build_id'], name=op.f('fk_verdicts_build_id_builds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('build_id', name=op.f('pk_verdicts'))
    )

    _append_only_audit()

def downgrade() -> None:
    op.drop_table('verdicts')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_rule')
        batch_op.drop_index('ix_findings_package')
        batch_op.drop_index('ix_findings_developer')
        batch_op.drop_index('ix_findings_created')

    op.drop_table('findings')
    with op.batch_alter_table('finding_sdks', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_sdks_sdk')

    op.drop_table('finding_sdks')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_build_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_decided_at'))
        batch_op.drop_index(batch_op.f('ix_decisions_build_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_waivers_lookup')

    op.drop_table('waivers')
    op.drop_table('history')
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_index('ix_builds_tenant_received')
        batch_op.drop_index('ix_builds_queue')
        batch_op.drop_index('ix_builds_package')
        batch_op.drop_index('ix_builds_developer')
        batch_op.drop_index('ix_builds_decided')

    op.drop_table('builds')
    op.drop_table('tenants')
    op.drop_table('reviewers')
    op.drop_table('delisted')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")

def _append_only_audit() -> None:
    """The database itself refuses to change or remove an audit row, whatever the caller."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
