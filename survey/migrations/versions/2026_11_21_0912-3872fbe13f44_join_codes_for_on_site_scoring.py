"""join codes for on-site scoring

Revision ID: 3872fbe13f44
Revises: e3de78305e7e
Create Date: 2026-11-21 09:12:26.448119
"""

from alembic import op
import sqlalchemy as sa


revision = '3872fbe13f44'
down_revision = 'e3de78305e7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('join_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rater_id'], ['round_raters.id'], name=op.f('fk_join_codes_rater_id_round_raters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_join_codes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_join_codes_code_hash'))
    )
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_codes_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_codes_round_id'), ['round_id'], unique=False)



def downgrade():
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_codes_round_id'))
        batch_op.drop_index(batch_op.f('ix_join_codes_rater_id'))

    op.drop_table('join_codes')
