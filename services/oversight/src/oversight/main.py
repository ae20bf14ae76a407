"""Wiring of the 督察 (oversight) service: `uvicorn oversight.main:app`."""

from __future__ import annotations

from pathlib import Path

from oversight import api, handlers
from oversight.service import alarms
from oversight.settings import OversightSettings
from xietong_common.contracts.assistance import (
    AssistanceObstructionFlagged,
    AssistanceRefusalContested,
    AssistanceRefusalRuled,
    AssistanceRefused,
)
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.contracts.deadlines import DeadlineBreached, DeadlineLifecycle
from xietong_common.contracts.info import InfoUnreadOverdue
from xietong_common.contracts.inspection import InspectionSeriousReported, InspectionSupportRefused
from xietong_common.contracts.referral import (
    CaseAssigned,
    CaseConclusionPeriodChanged,
    CaseCooperationNotGiven,
    CaseEscalated,
    CaseOnwardReferralDecided,
    CaseOnwardReferralSuspected,
)
from xietong_common.contracts.review import ReviewRequestWithdrawn
from xietong_common.contracts.secondment import GuidanceRecorded
from xietong_common.messaging import batched
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="oversight",
    title="xietong 督察 — oversight",
    description=(
        "督察 (oversight), section 三(四) of 涪陵府办〔2024〕1号, rules SUP-01/SUP-02: every "
        "unit answers for how it cooperates. A ledger of the accountability facts the six "
        "services publish (each deadline started, met, breached, cancelled, closed or made "
        "final; refusals of assistance and of inspection support, cooperation not given, and how assistance refusals were "
        "contested and ruled; 推诿/刁难 flags; referrals held as suspected onward referrals, "
        "disputes of jurisdiction and the district government's decisions; shared items left "
        "unread; serious findings reported; guidance given; review requests withdrawn), each once and "
        "only from the service that owns it, and the assessment read from it: per "
        "organisation and period, what was owed and what became of it. The district justice "
        "bureau and the district government see every unit; a unit sees its own figures. The "
        "justice bureau rules on each breach, refusal, flag and unread item (confirmed, "
        "excused, referred for accountability); the organisation may reply once before; the "
        "facts stay as recorded and the table shows them before and after rulings."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=OversightSettings,
    jobs=[alarms.calendar_watch_job()],
    handlers={
        DeadlineLifecycle: batched(handlers.on_deadline_lifecycle),
        DeadlineBreached: batched(handlers.on_deadline_breached),
        AssistanceRefused: handlers.on_assistance_refused,
        AssistanceObstructionFlagged: handlers.on_obstruction_flagged,
        InfoUnreadOverdue: handlers.on_unread_overdue,
        AuditCheckpointSigned: handlers.on_audit_checkpoint,
        AssistanceRefusalContested: handlers.on_refusal_contested,
        AssistanceRefusalRuled: handlers.on_refusal_ruled,
        CaseOnwardReferralSuspected: handlers.on_onward_referral_suspected,
        CaseOnwardReferralDecided: handlers.on_onward_referral_decided,
        CaseEscalated: handlers.on_escalated,
        CaseAssigned: handlers.on_assigned,
        CaseCooperationNotGiven: handlers.on_cooperation_not_given,
        CaseConclusionPeriodChanged: handlers.on_conclusion_period_changed,
        InspectionSupportRefused: handlers.on_support_refused,
        InspectionSeriousReported: handlers.on_serious_reported,
        GuidanceRecorded: handlers.on_guidance_recorded,
        ReviewRequestWithdrawn: handlers.on_review_request_withdrawn,
    },
    openapi_tags=[
        {
            "name": "oversight",
            "description": "督察: the assessment table, breaches, one unit, one deadline",
        },
        {
            "name": "rulings",
            "description": "督察认定 (SUP-01): the justice bureau's rulings on breaches, refusals, "
            "flags and unread items, and the organisation's reply (陈述申辩)",
        },
        {
            "name": "alarms",
            "description": "the outsider's alarms on audit checkpoints that cannot be trusted "
            "(SUP-01) and the calendar watch's (SUP-02)",
        },
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
