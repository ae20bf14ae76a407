"""综合查一次 (INSP-01..INSP-09): the target register with its versions and risk signals,
plans with their rules, adjustments and recorded draws, work orders with their participants,
inspectors, support requests, visits (the closed loop per target) and materials, number
series, service shortcomings and their acknowledgements, merge proposals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('order_counters',
    sa.Column('org', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('org', 'year', name=op.f('pk_order_counters'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('clean_proportion', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('targeting_threshold', sa.Integer(), nullable=True),
    sa.Column('matter_codes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_by', sa.Text(), nullable=True),
    sa.CheckConstraint('clean_proportion BETWEEN 0 AND 100', name=op.f('ck_plans_clean_proportion_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    op.create_index('ix_plans_town_state', 'plans', ['town', 'state'], unique=False)
    op.create_table('targets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('party_kind', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('credit_code', sa.Text(), nullable=True),
    sa.Column('identity_digest', sa.Text(), nullable=True),
    sa.Column('identity_masked', sa.Text(), nullable=True),
    sa.Column('industry', sa.Text(), nullable=False),
    sa.Column('supervision_level', sa.Text(), nullable=False),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('supervised_since', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_by_org', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_batch', sa.Uuid(), nullable=True),
    sa.Column('import_row', sa.Integer(), nullable=True),
    sa.CheckConstraint('(credit_code IS NULL) <> (identity_digest IS NULL)', name=op.f('ck_targets_one_identity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_targets_credit_code')),
    sa.UniqueConstraint('identity_digest', name=op.f('uq_targets_identity_digest'))
    )
    op.create_index(op.f('ix_targets_import_batch'), 'targets', ['import_batch'], unique=False)
    op.create_index('ix_targets_town_industry', 'targets', ['town', 'industry'], unique=False)
    op.create_index('ix_targets_town_level', 'targets', ['town', 'supervision_level'], unique=False)
    op.create_table('plan_rules',
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('proportion', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.CheckConstraint('frequency BETWEEN 1 AND 366', name=op.f('ck_plan_rules_frequency_range')),
    sa.CheckConstraint('proportion BETWEEN 0 AND 100', name=op.f('ck_plan_rules_proportion_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_rules_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'position', name=op.f('pk_plan_rules'))
    )
    op.create_table('risk_signals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Text(), nullable=False),
    sa.Column('recorded_by_org', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.Text(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('weight BETWEEN 1 AND 100', name=op.f('ck_risk_signals_weight_range')),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_risk_signals_target_id_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_signals')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_risk_signals_visit_id'))
    )
    op.create_index('ix_risk_signals_target_observed', 'risk_signals', ['target_id', 'observed_on'], unique=False)
    op.create_table('selections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Text(), nullable=False),
    sa.Column('algorithm', sa.Text(), nullable=False),
    sa.Column('parameters', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_by', sa.Text(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('drawn', sa.Integer(), nullable=False),
    sa.Column('digest', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_selections_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selections')),
    sa.UniqueConstraint('plan_id', 'round', name='uq_selections_plan_round')
    )
    op.create_table('target_versions',
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('industry', sa.Text(), nullable=False),
    sa.Column('supervision_level', sa.Text(), nullable=False),
    sa.Column('supervised_since', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_target_versions_target_id_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('target_id', 'version', name=op.f('pk_target_versions'))
    )
    op.create_index('ix_target_versions_town_valid', 'target_versions', ['town', 'valid_from'], unique=False)
    op.create_table('plan_adjustments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('signal_id', sa.Uuid(), nullable=True),
    sa.Column('target_id', sa.Uuid(), nullable=True),
    sa.Column('rule_position', sa.Integer(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_adjustments_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signal_id'], ['risk_signals.id'], name=op.f('fk_plan_adjustments_signal_id_risk_signals')),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_plan_adjustments_target_id_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_adjustments'))
    )
    op.create_index(op.f('ix_plan_adjustments_plan_id'), 'plan_adjustments', ['plan_id'], unique=False)
    op.create_table('selection_entries',
    sa.Column('selection_id', sa.Uuid(), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('rule_position', sa.Integer(), nullable=False),
    sa.Column('risk', sa.BigInteger(), nullable=False),
    sa.Column('clean', sa.Boolean(), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('draw_key', sa.BigInteger(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('drawn', sa.Boolean(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['selection_id'], ['selections.id'], name=op.f('fk_selection_entries_selection_id_selections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('selection_id', 'target_id', name=op.f('pk_selection_entries'))
    )
    op.create_index('ix_selection_entries_ranked', 'selection_entries', ['selection_id', 'drawn', 'rule_position', 'rank'], unique=False)
    op.create_table('work_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Text(), nullable=True),
    sa.Column('initiating_org', sa.Text(), nullable=False),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=True),
    sa.Column('selection_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=True),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('matter_codes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('planned_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=True),
    sa.Column('brigade_tasks', sa.Text(), nullable=True),
    sa.Column('counter_proposal', sa.Text(), nullable=True),
    sa.Column('consulted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consulted_by', sa.Text(), nullable=True),
    sa.Column('notice_policy', sa.Text(), nullable=True),
    sa.Column('notice_exemption_reason', sa.Text(), nullable=True),
    sa.Column('instructing_authority', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Text(), nullable=True),
    sa.Column('archive_digest', sa.Text(), nullable=True),
    sa.Column('archive_manifest', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('merged_into', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_work_orders_plan_id_plans')),
    sa.ForeignKeyConstraint(['selection_id'], ['selections.id'], name=op.f('fk_work_orders_selection_id_selections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_work_orders_number'))
    )
    op.create_index('ix_work_orders_initiator_state', 'work_orders', ['initiating_org', 'state'], unique=False)
    op.create_index('ix_work_orders_town_state', 'work_orders', ['town', 'state'], unique=False)
    op.create_table('merge_proposals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_a', sa.Uuid(), nullable=False),
    sa.Column('order_b', sa.Uuid(), nullable=False),
    sa.Column('org_a', sa.Text(), nullable=False),
    sa.Column('org_b', sa.Text(), nullable=False),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('target_ids', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_by', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('declined_by', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('reasons', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('kept_order', sa.Uuid(), nullable=True),
    sa.Column('absorbed_order', sa.Uuid(), nullable=True),
    sa.CheckConstraint('order_a < order_b', name=op.f('ck_merge_proposals_ordered_pair')),
    sa.ForeignKeyConstraint(['order_a'], ['work_orders.id'], name=op.f('fk_merge_proposals_order_a_work_orders')),
    sa.ForeignKeyConstraint(['order_b'], ['work_orders.id'], name=op.f('fk_merge_proposals_order_b_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merge_proposals')),
    sa.UniqueConstraint('order_a', 'order_b', name='uq_merge_proposals_pair')
    )
    op.create_index('ix_merge_proposals_town_state', 'merge_proposals', ['town', 'state'], unique=False)
    op.create_table('order_inspectors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('officer_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('org', sa.Text(), nullable=False),
    sa.Column('certificate_number', sa.Text(), nullable=True),
    sa.Column('matter_codes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('eligibility', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_inspectors_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_inspectors')),
    sa.UniqueConstraint('order_id', 'officer_id', name='uq_order_inspectors_officer')
    )
    op.create_table('order_participants',
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('org', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('joined_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_participants_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'org', name=op.f('pk_order_participants'))
    )
    op.create_table('support_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.Text(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.Column('answer_reason', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_support_requests_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests'))
    )
    op.create_index(op.f('ix_support_requests_order_id'), 'support_requests', ['order_id'], unique=False)
    op.create_table('visits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_basis', sa.Text(), nullable=True),
    sa.Column('notice_method', sa.Text(), nullable=True),
    sa.Column('notice_channel', sa.Text(), nullable=True),
    sa.Column('notice_by', sa.Text(), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_by_org', sa.Text(), nullable=True),
    sa.Column('inspector_ids', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('onsite_record', sa.Text(), nullable=True),
    sa.Column('matters_checked', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('repeat_of', sa.Uuid(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('handling', sa.Text(), nullable=True),
    sa.Column('guidance', sa.Text(), nullable=True),
    sa.Column('matter_code', sa.Text(), nullable=True),
    sa.Column('within_jurisdiction', sa.Boolean(), nullable=True),
    sa.Column('handling_org', sa.Text(), nullable=True),
    sa.Column('proposed_decision', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('review_required', sa.Boolean(), nullable=True),
    sa.Column('review_triggers', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('serious_scope', sa.Text(), nullable=True),
    sa.Column('competent_authority', sa.Text(), nullable=True),
    sa.Column('authority_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('serious_report', sa.Text(), nullable=True),
    sa.Column('serious_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finding_id', sa.Uuid(), nullable=True),
    sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_by', sa.Text(), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('fed_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fed_back_by', sa.Text(), nullable=True),
    sa.Column('merged_into', sa.Uuid(), nullable=True),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_visits_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_visits_target_id_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('order_id', 'target_id', name='uq_visits_order_target')
    )
    op.create_index('ix_visits_target_state', 'visits', ['target_id', 'state'], unique=False)
    op.create_table('order_materials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.Column('content_type', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.Text(), nullable=False),
    sa.Column('uploaded_by_org', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_materials_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_order_materials_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_materials'))
    )
    op.create_index(op.f('ix_order_materials_order_id'), 'order_materials', ['order_id'], unique=False)
    op.create_table('shortcomings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('reporting_org', sa.Text(), nullable=False),
    sa.Column('town', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=True),
    sa.Column('departments', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_shortcomings_order_id_work_orders')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_shortcomings_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortcomings'))
    )
    op.create_index(op.f('ix_shortcomings_order_id'), 'shortcomings', ['order_id'], unique=False)
    op.create_table('shortcoming_acks',
    sa.Column('shortcoming_id', sa.Uuid(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Text(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['shortcoming_id'], ['shortcomings.id'], name=op.f('fk_shortcoming_acks_shortcoming_id_shortcomings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shortcoming_id', 'department', name=op.f('pk_shortcoming_acks'))
    )
    op.create_index('ix_shortcoming_acks_department', 'shortcoming_acks', ['department'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shortcoming_acks_department', table_name='shortcoming_acks')
    op.drop_table('shortcoming_acks')
    op.drop_index(op.f('ix_shortcomings_order_id'), table_name='shortcomings')
    op.drop_table('shortcomings')
    op.drop_index(op.f('ix_order_materials_order_id'), table_name='order_materials')
    op.drop_table('order_materials')
    op.drop_index('ix_visits_target_state', table_name='visits')
    op.drop_table('visits')
    op.drop_index(op.f('ix_support_requests_order_id'), table_name='support_requests')
    op.drop_table('support_requests')
    op.drop_table('order_participants')
    op.drop_table('order_inspectors')
    op.drop_index('ix_merge_proposals_town_state', table_name='merge_proposals')
    op.drop_table('merge_proposals')
    op.drop_index('ix_work_orders_town_state', table_name='work_orders')
    op.drop_index('ix_work_orders_initiator_state', table_name='work_orders')
    op.drop_table('work_orders')
    op.drop_index('ix_selection_entries_ranked', table_name='selection_entries')
    op.drop_table('selection_entries')
    op.drop_index(op.f('ix_plan_adjustments_plan_id'), table_name='plan_adjustments')
    op.drop_table('plan_adjustments')
    op.drop_index('ix_target_versions_town_valid', table_name='target_versions')
    op.drop_table('target_versions')
    op.drop_table('selections')
    op.drop_index('ix_risk_signals_target_observed', table_name='risk_signals')
    op.drop_table('risk_signals')
    op.drop_table('plan_rules')
    op.drop_index('ix_targets_town_level', table_name='targets')
    op.drop_index('ix_targets_town_industry', table_name='targets')
    op.drop_index(op.f('ix_targets_import_batch'), table_name='targets')
    op.drop_table('targets')
    op.drop_index('ix_plans_town_state', table_name='plans')
    op.drop_table('plans')
    op.drop_table('order_counters')
