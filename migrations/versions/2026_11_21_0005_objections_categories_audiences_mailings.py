"""The objection register, lead categories with their history, audiences and mailings.

Leads gain the register keys of their email and phone; `leadpages db upgrade` computes them for
leads stored before (the key is a setting, which a migration does not read).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 20:00:15.888110
"""

from alembic import op
import sqlalchemy as sa
import leadpages.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audiences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('platform', sa.String(length=8), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('min_size', sa.Integer(), nullable=False),
    sa.Column('platform_audience_id', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', leadpages.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("platform IN ('meta', 'google', 'csv')", name=op.f('ck_audiences_platform')),
    sa.CheckConstraint('min_size >= 1', name=op.f('ck_audiences_min_size')),
    sa.CheckConstraint('window_days BETWEEN 1 AND 540', name=op.f('ck_audiences_window_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audiences')),
    sa.UniqueConstraint('name', name=op.f('uq_audiences_name'))
    )
    op.create_table('audience_categories',
    sa.Column('audience_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audience_id'], ['audiences.id'], name=op.f('fk_audience_categories_audience_id_audiences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_audience_categories_category_id_categories')),
    sa.PrimaryKeyConstraint('audience_id', 'category_id', name=op.f('pk_audience_categories'))
    )
    op.create_table('audience_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience_id', sa.Integer(), nullable=False),
    sa.Column('run_by', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('included', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('file_digest', sa.String(length=64), nullable=True),
    sa.Column('removal_file_name', sa.String(length=200), nullable=True),
    sa.Column('removal_digest', sa.String(length=64), nullable=True),
    sa.Column('upload', sa.Text(), nullable=True),
    sa.Column('started_at', leadpages.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('running', 'written', 'below-minimum', 'refused', 'failed')", name=op.f('ck_audience_exports_status')),
    sa.ForeignKeyConstraint(['audience_id'], ['audiences.id'], name=op.f('fk_audience_exports_audience_id_audiences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_exports'))
    )
    with op.batch_alter_table('audience_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audience_exports_audience_id'), ['audience_id'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('received_at', leadpages.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('email', 'phone')", name=op.f('ck_objections_kind')),
    sa.CheckConstraint("scope IN ('ads', 'marketing-email', 'all')", name=op.f('ck_objections_scope')),
    sa.CheckConstraint("source IN ('form', 'link', 'page', 'partner', 'staff')", name=op.f('ck_objections_source')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_objections_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index('ix_objections_key', ['key', 'withdrawn_at'], unique=False)

    op.create_table('audience_members',
    sa.Column('audience_id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('phone_key', sa.String(length=64), nullable=True),
    sa.Column('row', sa.Text(), nullable=False),
    sa.Column('added_in', sa.Integer(), nullable=False),
    sa.Column('removal_due_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['added_in'], ['audience_exports.id'], name=op.f('fk_audience_members_added_in_audience_exports')),
    sa.ForeignKeyConstraint(['audience_id'], ['audiences.id'], name=op.f('fk_audience_members_audience_id_audiences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('audience_id', 'email_key', name=op.f('pk_audience_members'))
    )
    with op.batch_alter_table('audience_members', schema=None) as batch_op:
        batch_op.create_index('ix_audience_members_email', ['email_key'], unique=False)
        batch_op.create_index('ix_audience_members_phone', ['phone_key'], unique=False)

    op.create_table('mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', leadpages.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'sending', 'sent')", name=op.f('ck_mailings_status')),
    sa.ForeignKeyConstraint(['target_project_id'], ['projects.id'], name=op.f('fk_mailings_target_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailings'))
    )
    op.create_table('category_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('at', leadpages.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('tagged', 'untagged')", name=op.f('ck_category_events_action')),
    sa.CheckConstraint("reason IN ('capture', 'project-changed', 'objection', 'withdrawal')", name=op.f('ck_category_events_reason')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_events_category_id_categories')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_category_events_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_events'))
    )
    with op.batch_alter_table('category_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_events_lead_id'), ['lead_id'], unique=False)

    op.create_table('lead_categories',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_lead_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_categories_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'category_id', name=op.f('pk_lead_categories'))
    )
    with op.batch_alter_table('lead_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_categories_category_id'), ['category_id'], unique=False)

    op.create_table('mailing_categories',
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_mailing_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_mailing_categories_mailing_id_mailings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mailing_id', 'category_id', name=op.f('pk_mailing_categories'))
    )
    op.create_table('mailing_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('phone_key', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('sent_at', leadpages.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'skipped', 'failed')", name=op.f('ck_mailing_recipients_status')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_mailing_recipients_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_mailing_recipients_mailing_id_mailings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing_recipients')),
    sa.UniqueConstraint('mailing_id', 'email_key', name=op.f('uq_mailing_recipients_mailing_id_email_key'))
    )
    with op.batch_alter_table('mailing_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailing_recipients_mailing_id'), ['mailing_id'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_phone_key'), ['phone_key'], unique=False)


    # Platform emails get the same confirmed claim as deliveries, so a lease that runs out
    # mid-send cannot make a second worker send the same email.
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_phone_key'))
        batch_op.drop_index(batch_op.f('ix_leads_email_key'))
        batch_op.drop_column('phone_key')
        batch_op.drop_column('email_key')

    with op.batch_alter_table('mailing_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailing_recipients_mailing_id'))

    op.drop_table('mailing_recipients')
    op.drop_table('mailing_categories')
    with op.batch_alter_table('lead_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_categories_category_id'))

    op.drop_table('lead_categories')
    with op.batch_alter_table('category_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_events_lead_id'))

    op.drop_table('category_events')
    op.drop_table('mailings')
    with op.batch_alter_table('audience_members', schema=None) as batch_op:
        batch_op.drop_index('ix_audience_members_phone')
        batch_op.drop_index('ix_audience_members_email')

    op.drop_table('audience_members')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index('ix_objections_key')

    op.drop_table('objections')
    with op.batch_alter_table('audience_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audience_exports_audience_id'))

    op.drop_table('audience_exports')
    op.drop_table('audience_categories')
    op.drop_table('audiences')
