"""Handlers of consumed events: each translates an accountability fact of another service
into the ledger's use case.

The inbox trusts an event type only from the services its contract names as producers, and
records the event id in the handler's transaction (a redelivery is a no-op). Deadline facts
may come from any of the six services, so the use case checks further that each reports its
own deadlines only (the `mechanism` it names, and a rule of its family); a fact that fails
is refused like a request (`refused_like_a_request`) and goes to the dead-letter topic with
the reason. A fact the ledger holds already (the same breach on `deadline.breached` and on
`deadline.lifecycle`, a replayed fact with a new event id) is recorded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from oversight import service
from oversight.service import outsider
from oversight.service.ledger import Fact, source_service
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import (
    AssistanceObstructionFlagged,
    AssistanceRefusalContested,
    AssistanceRefusalRuled,
    AssistanceRefused,
)
from xietong_common.contracts.audit import AuditCheckpointSigned
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
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import Delivered, refused_like_a_request
from xietong_common.uow import UnitOfWork


async def on_deadline_lifecycle(
    uow: UnitOfWork, events: Sequence[Delivered], *, ctx: ServiceContext
) -> None:
    """SUP-02: deadlines started, met, breached, cancelled, closed or made final (a batch of
    them, in the order told)."""
    with refused_like_a_request():
        await service.record_deadline_facts(
            uow,
            [
                service.DeadlineReport(
                    d.event, source_service(d.envelope.source), event_id=d.envelope.id
                )
                for d in events
            ],
        )


async def on_deadline_breached(
    uow: UnitOfWork, events: Sequence[Delivered], *, ctx: ServiceContext
) -> None:
    """SUP-02: breach alerts — each the same breach as the lifecycle's, counted once."""
    with refused_like_a_request():
        await service.record_deadline_facts(
            uow,
            [
                service.DeadlineReport(
                    d.event, source_service(d.envelope.source), event_id=d.envelope.id
                )
                for d in events
            ],
        )


async def on_assistance_refused(
    uow: UnitOfWork, event: AssistanceRefused, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """ASSIST-03/SUP-01: a department refused assistance, with its legal ground."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:refused",
            kind="assistance.refused",
            rule="ASSIST-03",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.refused_at,
            detail=event.model_dump(
                mode="json",
                include={"ground", "law", "article", "after_acceptance", "late", "owned_matter"},
                exclude_none=True,
            ),
        ),
        event_id=envelope.id,
    )


async def on_obstruction_flagged(
    uow: UnitOfWork,
    event: AssistanceObstructionFlagged,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """ASSIST-02/SUP-01: a town flagged a department for 推诿 or 刁难."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"flag:{event.flag_id}",
            kind="assistance.obstruction-flagged",
            rule="ASSIST-02",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.flagged_at,
            detail=event.model_dump(mode="json", include={"kind", "state"}),
        ),
        event_id=envelope.id,
    )


async def on_unread_overdue(
    uow: UnitOfWork, event: InfoUnreadOverdue, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INFO-03/SUP-01: an organisation left a shared item unread past the setting."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.item_id}:{event.organisation}:unread-overdue",
            kind="info.unread-overdue",
            rule="INFO-03",
            organisation=event.organisation,
            counterparty=event.publisher,
            subject=f"info:{event.item_id}",
            occurred_at=event.due_at,
            detail=event.model_dump(mode="json", include={"category", "working_days"}),
        ),
        event_id=envelope.id,
    )


async def on_audit_checkpoint(
    uow: UnitOfWork, event: AuditCheckpointSigned, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SUP-01, the outsider: a service signed its audit chain head; judge it (signature,
    continuity) and raise an alarm on one that cannot be trusted. A service's checkpoint of
    another's chain is refused (DLQ)."""
    with refused_like_a_request():
        await outsider.watch_checkpoint(
            uow,
            event,
            source=source_service(envelope.source),
            event_id=envelope.id,
            ctx=ctx,
        )


async def on_refusal_contested(
    uow: UnitOfWork, event: AssistanceRefusalContested, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """ASSIST-03/SUP-01: the town contested a department's refusal (a record beside the
    refusal, under the department)."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:refusal-contested",
            kind="assistance.refusal-contested",
            rule="ASSIST-03",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.contested_at,
            detail=event.model_dump(mode="json", include={"ground", "owned_matter", "reason"}),
        ),
        event_id=envelope.id,
    )


async def on_refusal_ruled(
    uow: UnitOfWork, event: AssistanceRefusalRuled, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """ASSIST-03/SUP-01: the justice bureau ruled in assistance on a refusal of an owned matter
    or a contested one: upheld or not (`detail.outcome`), under the department."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:refusal-ruled",
            kind="assistance.refusal-ruled",
            rule="ASSIST-03",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.ruled_at,
            detail={
                "outcome": event.decision.value,
                **event.model_dump(
                    mode="json", include={"ground", "owned_matter", "contested", "reason"}
                ),
            },
        ),
        event_id=envelope.id,
    )


async def on_onward_referral_suspected(
    uow: UnitOfWork,
    event: CaseOnwardReferralSuspected,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """REF-08/SUP-01: a referral resembling a case its sender received and has not finished
    was held for the district government: a flag against the sender."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.referral_id}:onward-referral-suspected",
            kind="referral.onward-referral-suspected",
            rule="REF-08",
            organisation=event.sender,
            counterparty=event.receiver,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.sent_at,
            detail=event.model_dump(
                mode="json", include={"resembles", "grounds", "distinct_case_reason"}
            ),
        ),
        event_id=envelope.id,
    )


async def on_onward_referral_decided(
    uow: UnitOfWork,
    event: CaseOnwardReferralDecided,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """REF-08/SUP-01: the district government released or barred a held referral
    (`detail.outcome`), recorded under the sender beside the hold."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.referral_id}:onward-referral-decided",
            kind="referral.onward-referral-decided",
            rule="REF-08",
            organisation=event.sender,
            counterparty=event.receiver,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.decided_at,
            detail={
                "outcome": event.decision.value,
                **event.model_dump(mode="json", include={"reason", "decided_by", "held_at"}),
            },
        ),
        event_id=envelope.id,
    )


async def on_escalated(
    uow: UnitOfWork, event: CaseEscalated, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REF-08/SUP-01: the receiver disputed jurisdiction and reported the case to the district
    government instead of handling it: a flag under the receiver, the sender its
    counterparty (the decision that follows shows whether it was right)."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.referral_id}:escalated",
            kind="referral.escalated",
            rule="REF-08",
            organisation=event.receiver,
            counterparty=event.sender,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.reported_at,
            detail=event.model_dump(mode="json", include={"reported_to", "reasons"}),
        ),
        event_id=envelope.id,
    )


async def on_assigned(
    uow: UnitOfWork, event: CaseAssigned, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REF-08/SUP-01: the district government decided jurisdiction over a disputed case,
    recorded under the receiver that reported the dispute (`assigned_back`: the case was its
    own after all)."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.referral_id}:assigned",
            kind="referral.assigned",
            rule="REF-08",
            organisation=event.receiver,
            counterparty=event.sender,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.assigned_at,
            detail={
                "assigned_back": event.assignee == event.receiver,
                **event.model_dump(mode="json", include={"assignee", "reasons", "decided_by"}),
            },
        ),
        event_id=envelope.id,
    )


async def on_conclusion_period_changed(
    uow: UnitOfWork,
    event: CaseConclusionPeriodChanged,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """REF-09/SUP-02: the party handling a referred case suspended, resumed or extended its
    conclusion period (`detail.outcome`), recorded under it with the law it cited: how often a
    unit stops its own clock is what an overseer reads beside its breaches."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            # One per change: the counts of suspensions and extensions grow with each.
            fact_key=f"{event.referral_id}:period-{event.change.value}-"
            f"{event.suspensions}-{event.extensions}",
            kind="referral.conclusion-period-changed",
            rule="REF-09",
            organisation=event.handler,
            counterparty=event.sender,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.changed_at,
            detail={
                "outcome": event.change.value,
                **event.model_dump(
                    mode="json", include={"reason", "law", "article", "days", "due_at"}
                ),
            },
        ),
        event_id=envelope.id,
    )


async def on_support_refused(
    uow: UnitOfWork, event: InspectionSupportRefused, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-03/SUP-01: a department asked to support a joint inspection refused."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:support-refused",
            kind="inspection.support-refused",
            rule="INSP-03",
            organisation=event.department,
            counterparty=event.initiating_org,
            subject=f"inspection:{event.inspection_id}",
            occurred_at=event.refused_at,
            detail=event.model_dump(
                mode="json",
                include={"order_number", "town", "request", "reason", "requested_at", "late"},
            ),
        ),
        event_id=envelope.id,
    )


async def on_serious_reported(
    uow: UnitOfWork, event: InspectionSeriousReported, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-08/SUP-02: a serious finding was reported to the district government, by the unit
    that started the inspection (`late`: after the prompt-report setting)."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.finding_id}:serious-reported",
            kind="inspection.serious-reported",
            rule="INSP-08",
            organisation=event.initiating_org,
            counterparty=event.reported_to,
            subject=f"inspection:{event.inspection_id}",
            occurred_at=event.reported_at,
            detail=event.model_dump(
                mode="json",
                include={
                    "order_number",
                    "town",
                    "scope",
                    "matter_code",
                    "competent_authority",
                    "found_at",
                    "due_at",
                    "late",
                },
                exclude_none=True,
            ),
        ),
        event_id=envelope.id,
    )


async def on_guidance_recorded(
    uow: UnitOfWork, event: GuidanceRecorded, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SEC-05/SUP-02: a department recorded guidance it gave towns, counted on the day held
    (China time); the towns reached are in `detail` (one fact, no single counterparty)."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.activity_id}:guidance-recorded",
            kind="secondment.guidance-recorded",
            rule="SEC-05",
            organisation=event.department,
            counterparty=event.towns[0] if len(event.towns) == 1 else None,
            subject=f"guidance:{event.activity_id}",
            occurred_at=datetime.combine(event.held_on, time(0), tzinfo=CHINA_TZ),
            detail=event.model_dump(
                mode="json",
                include={"kind", "title", "held_on", "ended_on", "towns", "attendance"},
                exclude_none=True,
            ),
        ),
        event_id=envelope.id,
    )


async def on_review_request_withdrawn(
    uow: UnitOfWork, event: ReviewRequestWithdrawn, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-08/REV-01/SUP-02: a town withdrew the review request of a joint inspection's
    finding, with its reason (no penalty decision pursued): a record under the town, so a town
    withdrawing every request is visible to the justice bureau."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:request-withdrawn",
            kind="review.request-withdrawn",
            rule="REV-01",
            organisation=event.town,
            counterparty=None,
            subject=f"review-request:{event.request_id}",
            occurred_at=event.withdrawn_at,
            detail=event.model_dump(
                mode="json",
                include={"finding_id", "inspection_id", "reason", "withdrawn_by"},
            ),
        ),
        event_id=envelope.id,
    )


async def on_cooperation_not_given(
    uow: UnitOfWork, event: CaseCooperationNotGiven, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REF-10/SUP-01: the handling party recorded that the sender did not cooperate: a
    refusal against the sender."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:cooperation-not-given",
            kind="referral.cooperation-not-given",
            rule="REF-10",
            organisation=event.requested_org,
            counterparty=event.requesting_org,
            subject=f"referral:{event.referral_id}",
            occurred_at=event.recorded_at,
            detail=event.model_dump(
                mode="json", include={"request", "reason", "requested_at", "recorded_by"}
            ),
        ),
        event_id=envelope.id,
    )
