"""The department's use cases: accept naming officers and a date, refuse with a legal ground,
ask to move the date, deliver the result (ASSIST-02, ASSIST-03, ASSIST-04; SEC-04)."""

from __future__ import annotations

import uuid

from assistance import domain, events
from assistance.domain import AssistanceState, OfficerNamed, Step
from assistance.errors import OfficerIneligible
from assistance.models import AssignedOfficer, AssistanceRequest, ExtensionRequest
from assistance.schemas import AcceptIn, DeliverIn, ExtensionIn, OfficerIn, RefuseIn
from assistance.service.common import (
    COMPLETE,
    MECHANISM,
    REQUEST,
    RESPOND,
    china_day,
    lapse_pending_extensions,
    latest_completion,
    owns_matter_now,
    require_department,
    start_completion,
    within_powers_now,
)
from assistance.settings import assistance_settings
from xietong_common import deadlines, idempotency
from xietong_common.auth import Principal
from xietong_common.calendar import end_of_china_day
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.errors import NotFound
from xietong_common.mechanisms import roster
from xietong_common.uow import UnitOfWork

EXTENSION_SCOPE = "assistance.extension"


async def _officer(
    uow: UnitOfWork, ctx: ServiceContext, r: AssistanceRequest, o: OfficerIn, position: int
) -> tuple[AssignedOfficer, list[str], list[str]]:
    """ASSIST-02/SEC-04: one named officer and, if he may not act, why (English, Chinese).

    A certificate or an id found on a roster in effect today makes the officer seconded,
    whatever the department says: a seconded officer acts only under SEC-04 (his own
    department's empowered matters, in the towns he serves, with a valid certificate). One
    found on no roster is the department's own staff, named on its word and recorded with
    the person who named him."""
    day = china_day(uow.now)
    on_roster = set(await roster.officers_with_certificate(uow.session, o.certificate_number, day))
    if o.officer_id and await roster.officer_entries(uow.session, o.officer_id, day):
        on_roster.add(o.officer_id)
    row = AssignedOfficer(
        id=uuid.uuid4(),
        position=position,
        name=o.name,
        certificate_number=o.certificate_number,
        seconded=False,
        officer_id=o.officer_id,
    )
    if not (o.seconded or on_roster):
        return row, [], []
    officer_id = o.officer_id or sorted(on_roster)[0]
    if o.officer_id and on_roster and o.officer_id not in on_roster:
        return (
            row,
            [
                f"certificate {o.certificate_number} belongs to roster officer(s) {sorted(on_roster)}"
            ],
            [
                f"执法证号 {o.certificate_number} 属于名单中的其他人员 {'、'.join(sorted(on_roster))}"
            ],
        )
    answer = await roster.eligibility(
        uow.session,
        catalogue=ctx.catalogue,
        officer_id=officer_id,
        matter_code=r.matter_code,
        town=r.town,
        at=uow.now,
    )
    row.seconded, row.officer_id, row.team_id = True, officer_id, answer.team_id
    row.eligibility = answer.as_dict()
    en, zh = (
        ([] if answer.eligible else answer.reasons_en),
        ([] if answer.eligible else answer.reasons_zh),
    )
    if answer.department is not None and answer.department != r.department:
        en = [*en, f"he is seconded by {answer.department}, not by {r.department}"]
        zh = [*zh, f"其为 {answer.department} 的下沉人员，不是 {r.department} 的人员"]
    if answer.certificate_number and answer.certificate_number != o.certificate_number:
        en = [*en, f"the roster gives certificate {answer.certificate_number}"]
        zh = [*zh, f"名单中的执法证号为 {answer.certificate_number}"]
    return row, en, zh


async def _named_officers(
    uow: UnitOfWork, ctx: ServiceContext, r: AssistanceRequest, officers: list[OfficerIn]
) -> list[AssignedOfficer]:
    domain.check_officers(
        [
            OfficerNamed(
                name=o.name,
                certificate_number=o.certificate_number,
                seconded=o.seconded,
                officer_id=o.officer_id,
            )
            for o in officers
        ]
    )
    rows: list[AssignedOfficer] = []
    refused: list[tuple[OfficerIn, str | None, list[str], list[str]]] = []
    for n, o in enumerate(officers):
        row, en, zh = await _officer(uow, ctx, r, o, n)
        rows.append(row)
        if en:
            refused.append((o, row.officer_id, en, zh))
    if refused:
        raise OfficerIneligible(
            "; ".join(f"{o.name}: {', '.join(en)}" for o, _, en, _ in refused),
            zh="；".join(f"{o.name}：{'，'.join(zh)}" for o, _, _, zh in refused),
            officers=[
                {"name": o.name, "officer_id": oid, "reasons_en": en, "reasons_zh": zh}
                for o, oid, en, zh in refused
            ],
            rule="SEC-04",
        )
    return rows


async def accept(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: AcceptIn,
) -> AssistanceRequest:
    """ASSIST-02: the department accepts, names its officer(s) and agrees a completion date
    (within the longest period); the response deadline is met, late or not."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_department(actor, r)
    REQUEST.check(r, Step.ACCEPT)
    domain.check_completion_date(
        data.agreed_completion_date,
        today=china_day(uow.now),
        latest=latest_completion(ctx, uow.now),
    )
    officers = await _named_officers(uow, ctx, r, data.officers)
    REQUEST.transition(r, Step.ACCEPT, uow.now)
    r.accepted_at, r.accepted_by, r.acceptance_note = uow.now, actor.user, data.note
    r.officers = officers
    met = await REQUEST.satisfy_deadline(uow, r, RESPOND)
    late = bool(met and met.overdue_at_satisfaction)
    due = await start_completion(uow, r, data.agreed_completion_date)
    await uow.session.flush()
    uow.publish(events.accepted(r, due, late=late), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.ACCEPT.value,
        rule=Step.ACCEPT.rule,
        late=late,
        agreed_completion_date=data.agreed_completion_date.isoformat(),
        officers=[
            {
                "name": o.name,
                "certificate_number": o.certificate_number,
                "seconded": o.seconded,
                "officer_id": o.officer_id,
            }
            for o in officers
        ],
    )
    return r


async def refuse(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: RefuseIn,
) -> AssistanceRequest:
    """ASSIST-03: refuse, on a legal ground with a written reason. 'Outside powers' is refused
    for a matter the catalogue puts within them (or, on ground 2, by the named holder of the
    materials), and after accepting; the refusal is published for oversight, and one of a
    matter the catalogue assigns to the department awaits the justice bureau's ruling."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_department(actor, r)
    state = AssistanceState(r.state)
    REQUEST.check(r, Step.REFUSE)
    domain.check_refusal(
        ground=data.ground,
        law=data.law,
        article=data.article,
        reason=data.reason,
        within_powers=within_powers_now(ctx, r),
        after_acceptance=state is AssistanceState.ACCEPTED,
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
    )
    owned = owns_matter_now(ctx, r)
    subject = REQUEST.subject_of(r.id)
    if state is AssistanceState.ACCEPTED:
        owed = await deadlines.find_open(uow, subject=subject, action=COMPLETE)
        late = bool(owed and not owed.provisional and uow.now > owed.due_at)
        await deadlines.close(
            uow, subject=subject, action=COMPLETE, reason="refused", mechanism=MECHANISM
        )
    else:
        met = await REQUEST.satisfy_deadline(uow, r, RESPOND)
        late = bool(met and met.overdue_at_satisfaction)
    REQUEST.transition(r, Step.REFUSE, uow.now)
    r.refused_at, r.refused_by = uow.now, actor.user
    r.refusal_ground, r.refusal_reason = data.ground.value, data.reason
    r.refusal_law, r.refusal_article = data.law, data.article
    r.refused_after_acceptance = state is AssistanceState.ACCEPTED
    r.refused_owned_matter = owned  # ASSIST-03: for the justice bureau's ruling
    lapse_pending_extensions(r, uow.now)
    uow.publish(events.refused(r, late=late), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.REFUSE.value,
        rule=Step.REFUSE.rule,
        ground=data.ground.value,
        law=data.law,
        article=data.article,
        reason=data.reason,
        after_acceptance=r.refused_after_acceptance,
        owned_matter=owned,
        late=late,
    )
    return r


async def request_extension(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: ExtensionIn,
    idempotency_key: str | None = None,
) -> ExtensionRequest:
    """ASSIST-04: ask the town to move the completion date: before it passes, one at a time,
    a bounded number of times, within the longest period. The town answers."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_department(actor, r)
    scope = f"{EXTENSION_SCOPE}:{r.id}"
    replay = await idempotency.claim(
        uow, scope=scope, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        extension = next((e for e in r.extensions if str(e.id) == replay), None)
        if extension is None:
            raise NotFound("no such extension request", zh="未找到该延期申请")
        return extension
    REQUEST.check(r, Step.REQUEST_EXTENSION)
    settings = assistance_settings(ctx)
    assert r.agreed_completion_date
    owed = await deadlines.find_open(uow, subject=REQUEST.subject_of(r.id), action=COMPLETE)
    domain.check_reason(
        data.reason,
        field="reason",
        min_chars=settings.assistance_min_reason_chars,
        rule="ASSIST-04",
    )
    domain.check_extension(
        current=r.agreed_completion_date,
        proposed=data.proposed_date,
        latest=latest_completion(ctx, uow.now),
        agreed_so_far=r.extensions_agreed,
        max_extensions=settings.assistance_max_extensions,
        pending=any(e.decision is None for e in r.extensions),
        now=uow.now,
        due_at=owed.due_at if owed else end_of_china_day(r.agreed_completion_date),
    )
    extension = ExtensionRequest(
        id=uuid.uuid4(),
        request_id=r.id,
        requested_at=uow.now,
        requested_by=actor.user,
        previous_date=r.agreed_completion_date,
        proposed_date=data.proposed_date,
        reason=data.reason,
    )
    r.extensions.append(extension)
    r.updated_at = uow.now
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=scope, org=actor.org, key=idempotency_key, resource_id=str(extension.id)
    )
    REQUEST.audit(
        uow,
        r,
        Step.REQUEST_EXTENSION.value,
        rule=Step.REQUEST_EXTENSION.rule,
        extension_id=str(extension.id),
        previous_date=extension.previous_date.isoformat(),
        proposed_date=extension.proposed_date.isoformat(),
        reason=data.reason,
    )
    return extension


async def deliver(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: DeliverIn,
) -> AssistanceRequest:
    """ASSIST-02: the result (its files uploaded before) reaches the town through the service;
    a delivery after the agreed date is recorded as a breach."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_department(actor, r)
    REQUEST.check(r, Step.DELIVER)
    results = sum(1 for m in r.materials if m.kind == domain.MaterialKind.RESULT.value)
    domain.check_result(AssistanceGround(r.ground), results)
    REQUEST.transition(r, Step.DELIVER, uow.now)
    r.delivered_at, r.delivered_by = uow.now, actor.user
    r.result_kind, r.result_summary = data.result_kind.value, data.summary
    met = await REQUEST.satisfy_deadline(uow, r, COMPLETE)
    late = bool(met and met.overdue_at_satisfaction)
    lapse_pending_extensions(r, uow.now)
    uow.publish(events.delivered(r, late=late), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        Step.DELIVER.value,
        rule=Step.DELIVER.rule,
        result_kind=data.result_kind.value,
        summary=data.summary,
        results=results,
        late=late,
    )
    return r
