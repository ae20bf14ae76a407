"""The town's use cases: draft, submit, withdraw, answer extensions, confirm or return the
result, flag shirking or obstruction (ASSIST-01, ASSIST-02, ASSIST-04)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from assistance import domain, events
from assistance.domain import AssistanceState, ExtensionDecision, Step
from assistance.errors import AssistanceInvalidTransition, ExtensionNotAllowed
from assistance.models import AssistanceRequest, ExtensionRequest, ObstructionFlag
from assistance.schemas import (
    ExtensionDecisionIn,
    FlagIn,
    RequestCreate,
    RequestUpdate,
)
from assistance.service.common import (
    ACTING_ROLES,
    COMPLETE,
    REQUEST,
    RESPOND,
    address,
    check_requester,
    lapse_pending_extensions,
    last_day_within,
    require_town,
    start_completion,
)
from assistance.settings import assistance_settings
from xietong_common import deadlines, idempotency
from xietong_common.auth import Principal
from xietong_common.calendar import end_of_china_day
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.errors import NotFound
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "assistance.create"
FLAG_SCOPE = "assistance.flag"


def _case(r: AssistanceRequest, data: RequestCreate | RequestUpdate) -> None:
    r.case_kind = data.case.kind.value if data.case else None
    r.case_id = data.case.id if data.case else None


@dataclass(frozen=True)
class Drafted:
    """A draft this request made (`new`: no deadline has started and no document has been
    issued for it yet, so its response reads neither), or a replayed one (read them)."""

    request: AssistanceRequest
    new: bool


async def create_draft(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: RequestCreate,
    idempotency_key: str | None = None,
) -> Drafted:
    """ASSIST-01: a town's draft request; the department whose powers cover the matter is
    proposed (and warned about when another is chosen). The same Idempotency-Key returns it."""
    actor.require_role(*ACTING_ROLES)
    check_requester(ctx, actor)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return Drafted(await REQUEST.load_for(uow, uuid.UUID(replay), actor), new=False)
    settings = assistance_settings(ctx)
    domain.check_ground(
        data.ground, data.ground_description, min_chars=settings.assistance_min_reason_chars
    )
    r = REQUEST.new(
        id=uuid.uuid4(),
        state=AssistanceState.DRAFT.value,
        town=actor.org,
        matter_code=data.matter_code,
        ground=data.ground.value,
        ground_description=data.ground_description,
        needed=data.needed,
        materials_holder=data.materials_holder,
        urgent=data.urgent,
        needed_by=data.needed_by,
        created_at=uow.now,
        created_by=actor.user,
        updated_at=uow.now,
        extensions_agreed=0,
        returns=0,
        refused_after_acceptance=False,
        officers=[],
        materials=[],
        extensions=[],
        flags=[],
    )
    _case(r, data)
    addressing = address(ctx, r, data.department)
    await REQUEST.insert(uow, r)  # its version counter's first value with it
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(r.id)
    )
    REQUEST.audit(
        uow,
        r,
        "drafted",
        rule=Step.EDIT.rule,
        matter_code=r.matter_code,
        ground=r.ground,
        materials_holder=r.materials_holder,
        proposed_department=addressing.proposed,
        within_powers=addressing.within_powers,
        warnings=[w.code for w in addressing.warnings],
    )
    return Drafted(r, new=True)


async def update_draft(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    changes: RequestUpdate,
) -> AssistanceRequest:
    """ASSIST-01: edit a draft; the department is proposed again from the matter."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    REQUEST.check(r, Step.EDIT)
    given = changes.model_fields_set
    for name in (
        "matter_code",
        "ground_description",
        "needed",
        "materials_holder",
        "urgent",
        "needed_by",
    ):
        if name in given:
            setattr(r, name, getattr(changes, name))
    if "ground" in given and changes.ground is not None:
        r.ground = changes.ground.value
    if "case" in given:
        _case(r, changes)
    chosen = changes.department if "department" in given else r.department
    if (
        "department" not in given
        and "matter_code" in given
        and r.department == r.proposed_department
    ):
        chosen = None  # the proposal follows the matter unless the town chose otherwise
    domain.check_ground(
        AssistanceGround(r.ground),
        r.ground_description,
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
    )
    addressing = address(ctx, r, chosen)
    r.updated_at = uow.now
    REQUEST.audit(
        uow,
        r,
        Step.EDIT.value,
        rule=Step.EDIT.rule,
        fields=sorted(given),
        within_powers=addressing.within_powers,
        warnings=[w.code for w in addressing.warnings],
    )
    return r


async def submit(
    uow: UnitOfWork, *, ctx: ServiceContext, request_id: uuid.UUID, actor: Principal
) -> AssistanceRequest:
    """ASSIST-01: the request goes to the department; ASSIST-04's response deadline starts."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    check_requester(ctx, actor)
    REQUEST.check(r, Step.SUBMIT)
    settings = assistance_settings(ctx)
    domain.check_ground(
        AssistanceGround(r.ground),
        r.ground_description,
        min_chars=settings.assistance_min_reason_chars,
    )
    # The catalogue or the directory may have changed since the draft: check them again.
    addressing = address(ctx, r, r.department)
    REQUEST.transition(r, Step.SUBMIT, uow.now)
    r.submitted_at, r.submitted_by = uow.now, actor.user
    due = await REQUEST.start_deadline(
        uow,
        r,
        RESPOND,
        calendar=ctx.calendar,
        rule=domain.response_deadline(
            urgent=r.urgent,
            working_days=settings.assistance_response_working_days,
            urgent_hours=settings.assistance_urgent_response_hours,
        ),
        organisation=r.department,
        counterparty=r.town,
    )
    uow.publish(events.requested(r, due), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.SUBMIT.value,
        rule=Step.SUBMIT.rule,
        respond_due_at=due.due_at.isoformat(),
        provisional=due.provisional,
        within_powers=addressing.within_powers,
        warnings=[w.code for w in addressing.warnings],
    )
    return r


async def withdraw(
    uow: UnitOfWork, *, ctx: ServiceContext, request_id: uuid.UUID, actor: Principal, reason: str
) -> AssistanceRequest:
    """ASSIST-01: the town withdraws; what the department owed closes, and a deadline it had
    already missed stays on record as a breach."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    REQUEST.check(r, Step.WITHDRAW)
    domain.check_reason(
        reason,
        field="reason",
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
        rule="ASSIST-01",
    )
    before = REQUEST.transition(r, Step.WITHDRAW, uow.now)
    r.withdrawn_at, r.withdrawn_by, r.withdrawal_reason = uow.now, actor.user, reason
    for action in (RESPOND, COMPLETE):
        await REQUEST.close_deadline(uow, r, action, reason="request-withdrawn")
    lapse_pending_extensions(r, uow.now)
    if before is not AssistanceState.DRAFT:
        uow.publish(events.withdrawn(r, state=before.value), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.WITHDRAW.value,
        rule=Step.WITHDRAW.rule,
        previous_state=before.value,
        reason=reason,
    )
    return r


async def decide_extension(
    uow: UnitOfWork,
    *,
    request_id: uuid.UUID,
    extension_id: uuid.UUID,
    actor: Principal,
    data: ExtensionDecisionIn,
) -> ExtensionRequest:
    """ASSIST-04: the town agrees to move the completion date, or declines. Agreement comes
    before the date passes: a missed date is not excused afterwards."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    REQUEST.check(r, Step.DECIDE_EXTENSION)
    extension = next((e for e in r.extensions if e.id == extension_id), None)
    if extension is None:
        raise NotFound("no such extension request", zh="未找到该延期申请")
    if extension.decision is not None:
        raise AssistanceInvalidTransition(
            "this extension request is already answered",
            zh="该延期申请已答复",
            decision=extension.decision,
        )
    subject = REQUEST.subject_of(r.id)
    if data.agree:
        open_deadline = await deadlines.find_open(uow, subject=subject, action=COMPLETE)
        if open_deadline is not None and uow.now >= open_deadline.due_at:
            raise ExtensionNotAllowed(
                "the agreed completion date has already passed; the breach stays on record and "
                "the date can no longer be moved (decline, and expect the result late)",
                zh="约定完成日期已过，逾期已记录，不能再同意延期",
                rule="ASSIST-04",
            )
        extension.decision = ExtensionDecision.AGREED.value
        r.extensions_agreed += 1
        await REQUEST.cancel_deadline(uow, r, COMPLETE, reason="completion-date-extended")
        await start_completion(uow, r, extension.proposed_date)
    else:
        extension.decision = ExtensionDecision.DECLINED.value
    extension.decided_at, extension.decided_by = uow.now, actor.user
    extension.decision_note = data.note
    r.updated_at = uow.now
    if data.agree:
        uow.publish(events.extended(r, extension), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.DECIDE_EXTENSION.value,
        rule=Step.DECIDE_EXTENSION.rule,
        extension_id=str(extension.id),
        decision=extension.decision,
        previous_date=extension.previous_date.isoformat(),
        proposed_date=extension.proposed_date.isoformat(),
        extensions_agreed=r.extensions_agreed,
    )
    return extension


async def confirm(
    uow: UnitOfWork, *, request_id: uuid.UUID, actor: Principal, note: str | None
) -> AssistanceRequest:
    """ASSIST-02: the town confirms it received the result; the assistance is complete."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    REQUEST.transition(r, Step.CONFIRM, uow.now)
    assert r.delivered_at
    assert r.agreed_completion_date
    r.confirmed_at, r.confirmed_by, r.confirmation_note = uow.now, actor.user, note
    late = r.delivered_at > end_of_china_day(r.agreed_completion_date)
    uow.publish(events.completed(r, late=late), key=str(r.id))
    REQUEST.audit(uow, r, Step.CONFIRM.value, rule=Step.CONFIRM.rule, late=late, note=note)
    return r


async def return_result(
    uow: UnitOfWork, *, ctx: ServiceContext, request_id: uuid.UUID, actor: Principal, reason: str
) -> AssistanceRequest:
    """ASSIST-02: a result that does not answer the request goes back; the department
    delivers again by the agreed date or within the redelivery period, whichever is later."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    settings = assistance_settings(ctx)
    domain.check_reason(
        reason, field="reason", min_chars=settings.assistance_min_reason_chars, rule="ASSIST-02"
    )
    REQUEST.transition(r, Step.RETURN, uow.now)
    assert r.agreed_completion_date
    r.returns += 1
    r.last_return_reason = reason
    returned = {"result_kind": r.result_kind, "delivered_at": str(r.delivered_at)}
    r.delivered_at = r.delivered_by = r.result_kind = r.result_summary = None
    again_by = last_day_within(ctx, uow.now, settings.assistance_redelivery_working_days)
    day = max(r.agreed_completion_date, again_by)
    due = await start_completion(uow, r, day)
    REQUEST.audit(
        uow,
        r,
        Step.RETURN.value,
        rule=Step.RETURN.rule,
        reason=reason,
        returned=returned,
        returns=r.returns,
        complete_due_at=due.due_at.isoformat(),
    )
    return r


async def flag_obstruction(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: FlagIn,
    idempotency_key: str | None = None,
) -> ObstructionFlag:
    """ASSIST-02: the town flags shirking or obstruction (推诿、刁难) with its reason; the flag
    is recorded and published for oversight (三(四)) and changes nothing else."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    scope = f"{FLAG_SCOPE}:{r.id}"
    replay = await idempotency.claim(
        uow, scope=scope, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        flag = next((f for f in r.flags if str(f.id) == replay), None)
        if flag is None:
            raise NotFound("no such flag", zh="未找到该反映记录")
        return flag
    REQUEST.check(r, Step.FLAG)
    domain.check_reason(
        data.reason,
        field="reason",
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
        rule="ASSIST-02",
    )
    flag = ObstructionFlag(
        id=uuid.uuid4(),
        request_id=r.id,
        kind=data.kind.value,
        reason=data.reason,
        state=r.state,
        town=r.town,
        department=r.department,
        flagged_at=uow.now,
        flagged_by=actor.user,
    )
    r.flags.append(flag)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=scope, org=actor.org, key=idempotency_key, resource_id=str(flag.id)
    )
    uow.publish(events.obstruction_flagged(r, flag), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.FLAG.value,
        rule=Step.FLAG.rule,
        flag_id=str(flag.id),
        kind=data.kind.value,
        reason=data.reason,
    )
    return flag
