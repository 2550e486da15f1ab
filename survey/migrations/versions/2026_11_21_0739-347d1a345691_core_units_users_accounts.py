"""core units users accounts

Revision ID: 347d1a345691
Revises: 
Create Date: 2026-11-21 07:39:12.814728
"""

from alembic import op
import sqlalchemy as sa


revision = '347d1a345691'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_address_at', ['address', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempts_username_at', ['username', 'attempted_at'], unique=False)

    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('level', sa.Enum('district', 'sub_district', 'grassroots', name='orglevel', native_enum=False, length=20), nullable=False),
    sa.Column('kind', sa.Enum('enterprise', 'community_joint', 'industry_joint', 'bureau', 'directly_affiliated', name='unitkind', native_enum=False, length=30), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('employee_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("(level = 'district' AND parent_id IS NULL) OR (level <> 'district' AND parent_id IS NOT NULL)", name=op.f('ck_org_units_only_district_is_root')),
    sa.CheckConstraint("(level = 'grassroots') = (kind IS NOT NULL)", name=op.f('ck_org_units_kind_only_for_grassroots')),
    sa.CheckConstraint('employee_count >= 0', name=op.f('ck_org_units_employee_count_nonnegative')),
    sa.CheckConstraint('member_count >= 0', name=op.f('ck_org_units_member_count_nonnegative')),
    sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units')),
    sa.UniqueConstraint('code', name=op.f('uq_org_units_code'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_parent_id'), ['parent_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('admin', 'staff', 'representative', 'evaluator', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_login_sessions_key_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('representative_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rater_type', sa.Enum('worker_representative', 'union_chair', 'model_worker', 'other', name='ratertype', native_enum=False, length=30), nullable=False),
    sa.Column('home_unit_id', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['home_unit_id'], ['org_units.id'], name=op.f('fk_representative_profiles_home_unit_id_org_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sub_district_id'], ['org_units.id'], name=op.f('fk_representative_profiles_sub_district_id_org_units'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_representative_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_representative_profiles'))
    )
    with op.batch_alter_table('representative_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representative_profiles_home_unit_id'), ['home_unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('representative_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representative_profiles_home_unit_id'))

    op.drop_table('representative_profiles')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))

    op.drop_table('login_sessions')
    op.drop_table('users')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_parent_id'))

    op.drop_table('org_units')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_username_at')
        batch_op.drop_index('ix_login_attempts_address_at')

    op.drop_table('login_attempts')
