"""frameworks rounds raters sessions panels conflicts

Revision ID: e3de78305e7e
Revises: 13990487399c
Create Date: 2026-11-21 08:37:02.799564
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'e3de78305e7e'
down_revision = '13990487399c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks')),
    sa.UniqueConstraint('code', name=op.f('uq_frameworks_code'))
    )
    op.create_table('framework_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_framework_versions_number_positive')),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_framework_versions_framework_id_frameworks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_versions')),
    sa.UniqueConstraint('framework_id', 'number', name=op.f('uq_framework_versions_framework_id_number'))
    )
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_versions_framework_id'), ['framework_id'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=80), nullable=False),
    sa.Column('framework_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('setup', 'open', 'closed', name='roundstatus', native_enum=False, length=20), nullable=False),
    sa.Column('recuse_same_sub_district', sa.Boolean(), nullable=False),
    sa.Column('recuse_same_industry', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('panel_spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['framework_version_id'], ['framework_versions.id'], name=op.f('fk_rounds_framework_version_id_framework_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    op.create_table('report_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'open', 'closed', name='sessionstatus', native_enum=False, length=20), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_report_sessions_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_report_sessions_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sessions')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_report_sessions_round_id_unit_id'))
    )
    with op.batch_alter_table('report_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_sessions_round_id'), ['round_id'], unique=False)

    op.create_table('round_raters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('rater_type', sa.Enum('worker_representative', 'union_chair', 'model_worker', 'other', name='ratertype', native_enum=False, length=30), nullable=False),
    sa.Column('home_unit_id', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('panel', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['home_unit_id'], ['org_units.id'], name=op.f('fk_round_raters_home_unit_id_org_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_raters_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sub_district_id'], ['org_units.id'], name=op.f('fk_round_raters_sub_district_id_org_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_round_raters_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_raters')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_round_raters_round_id_user_id'))
    )
    with op.batch_alter_table('round_raters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_raters_round_id'), ['round_id'], unique=False)

    op.create_table('round_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_units_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_round_units_unit_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_units')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_round_units_round_id_unit_id'))
    )
    with op.batch_alter_table('round_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_units_round_id'), ['round_id'], unique=False)

    op.create_table('conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('relationship', 'declared', name='conflictkind', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conflicts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rater_id'], ['round_raters.id'], name=op.f('fk_conflicts_rater_id_round_raters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_conflicts_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_conflicts_unit_id_org_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('round_id', 'rater_id', 'unit_id', 'kind', name=op.f('uq_conflicts_round_id_rater_id_unit_id_kind'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflicts_round_id'), ['round_id'], unique=False)

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['rater_id'], ['round_raters.id'], name=op.f('fk_panel_members_rater_id_round_raters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['report_sessions.id'], name=op.f('fk_panel_members_session_id_report_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('session_id', 'rater_id', name=op.f('uq_panel_members_session_id_rater_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_session_id'), ['session_id'], unique=False)



def downgrade():
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_members_session_id'))
        batch_op.drop_index(batch_op.f('ix_panel_members_rater_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflicts_round_id'))

    op.drop_table('conflicts')
    with op.batch_alter_table('round_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_units_round_id'))

    op.drop_table('round_units')
    with op.batch_alter_table('round_raters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_raters_round_id'))

    op.drop_table('round_raters')
    with op.batch_alter_table('report_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_sessions_round_id'))

    op.drop_table('report_sessions')
    op.drop_table('rounds')
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_versions_framework_id'))

    op.drop_table('framework_versions')
    op.drop_table('frameworks')
