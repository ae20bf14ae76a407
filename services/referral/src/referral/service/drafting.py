"""The sender's use cases: draft, attach materials, approve, send (REF-01..REF-05, REF-08)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert

from referral import domain, events
from referral.domain import MaterialKind, ReferralState, Step
from referral.errors import ApprovalRequired, OnwardReferralForbidden, ReferralError
from referral.models import Referral, ReferralMaterial
from referral.schemas import ReferralCreate, ReferralUpdate, SourcedDraft
from referral.service.common import (
    APPROVING_ROLES,
    REFERRAL,
    SENDING_ROLES,
    apply_fields,
    check_draft,
    check_facts,
    check_onward,
    items_of,
    new_items,
    notify_ongoing,
    party_dict,
    route_referral,
    set_items,
    start_receipt_deadline,
    start_send_deadline,
)
from referral.service.documents import letter_draft
from referral.service.onward import hold
from referral.settings import referral_settings
from xietong_common import documents, idempotency, materials
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import ReferralSource, SourceKind
from xietong_common.errors import Forbidden
from xietong_common.reference import OrgKind
from xietong_common.timeline import DeadlineOut
from xietong_common.uow import UnitOfWork

# ---- drafting (REF-01, REF-02, REF-04, REF-05) --------------------------------------------------

CREATE_SCOPE = "referral.create"
MATERIAL_SCOPE = "referral.material"


@dataclass(frozen=True)
class Drafted:
    """A new draft with the deadline started for it, or a replayed one (deadlines None: the
    response reads them)."""

    referral: Referral
    deadlines: list[DeadlineOut] | None
    new: bool = True
    """Made by this request (no document can have been issued for it yet); False: replayed."""


async def create_draft(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    sender: Principal,
    data: ReferralCreate,
    idempotency_key: str | None = None,
) -> Drafted:
    """REF-01/02: a draft referral; the receiver is proposed from the matter and the place.
    REF-08: refused when it resembles a case referred to the sender that it has not finished,
    unless the sender says why it is a different case. REF-04: an ongoing violation is
    reported to the receiver at once. The same Idempotency-Key (per sender) returns the draft
    its first request made."""
    sender.require_role(*SENDING_ROLES)
    check_draft(ctx, data, sender=sender.org, now=uow.now)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=sender.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return Drafted(await REFERRAL.load_for(uow, uuid.UUID(replay), sender), None, new=False)
    if data.onward_of is not None:
        await _refuse_onward(uow, data.onward_of, sender)
    referral = REFERRAL.new(
        **data.model_dump(exclude={"items", "party", "onward_of"}),
        id=uuid.uuid4(),
        state=ReferralState.DRAFT.value,
        sender=sender.org,
        created_at=uow.now,
        created_by=sender.user,
        updated_at=uow.now,
        source_kind=SourceKind.MANUAL.value,
        # A new draft's first finding is the one it states (REF-03's clock starts from it):
        # set with the row's INSERT, not by an UPDATE of it when the deadline starts.
        first_found_at=data.found_at,
        party=party_dict(data.party),
        **new_items(data.items),
    )
    routing = route_referral(ctx, referral)
    referral.receiver = routing.receiver
    referral.proposed_receiver = routing.proposed
    check_facts(referral, uow.now)
    # REF-08's read before the draft is queued (it reads no draft of the sender's): where the
    # request gives no Idempotency-Key, the read is the create's only statement before its
    # commit's, which writes the draft too (issue 22).
    await check_onward(uow, ctx, referral)
    await REFERRAL.insert(uow, referral)
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=sender.org, key=idempotency_key, resource_id=str(referral.id)
    )
    send_due = await start_send_deadline(uow, ctx, referral)
    informed = await notify_ongoing(uow, ctx, referral)
    REFERRAL.audit(
        uow,
        referral,
        "drafted",
        rule="REF-02",
        receiver=routing.receiver,
        proposed_receiver=routing.proposed,
        override_reason=referral.jurisdiction_override_reason if routing.overridden else None,
    )
    # With REF-04's deadline too, the response reads them all.
    return Drafted(referral, None if informed else [send_due.out()])


async def create_from_source(
    uow: UnitOfWork, *, ctx: ServiceContext, source: ReferralSource, draft: SourcedDraft
) -> Referral | None:
    """REF-01: a prefilled draft for another mechanism's finding, once per source (None if it
    exists), refused as a request would be (`check_draft`). Routing that fails leaves the
    sender a draft to complete, the reason on record."""
    if source.kind is SourceKind.REVIEW_OPINION:
        # Legal review is a town's duty (二(四)): only a town's brigade receives opinion (4).
        ctx.directory.require(draft.sender, OrgKind.TOWN)
    check_draft(ctx, draft, sender=draft.sender, now=uow.now)
    new_id = uuid.uuid4()
    inserted = (
        await uow.session.execute(
            insert(Referral)
            .values(
                id=new_id,
                state=ReferralState.DRAFT.value,
                sender=draft.sender,
                matter_code=draft.matter_code,
                place_town=draft.place_town,
                found_at=draft.found_at,
                facts=draft.facts,
                party=party_dict(draft.party),
                urgent=False,
                ongoing=False,
                proceeds_transferred=0,
                source_kind=source.kind.value,
                source_id=source.id,
                receiver=draft.receiver,
                jurisdiction_override_reason=draft.jurisdiction_override_reason,
                created_at=uow.now,
                created_by=uow.actor.user if uow.actor else "system",
                updated_at=uow.now,
            )
            .on_conflict_do_nothing(constraint="uq_referrals_source")
            .returning(Referral.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        return None
    referral = await REFERRAL.get(uow, new_id)
    try:
        routing = route_referral(ctx, referral)
        referral.receiver, referral.proposed_receiver = routing.receiver, routing.proposed
    except ReferralError as exc:
        # The sender completes the draft; the reason routing failed is kept on record.
        REFERRAL.audit(uow, referral, "routing-incomplete", rule="REF-02", problem=exc.detail)
    # REF-08: flagged here, refused at sending unless the sender says why it differs.
    await check_onward(uow, ctx, referral, refuse=False)
    await start_send_deadline(uow, ctx, referral)
    REFERRAL.audit(
        uow,
        referral,
        "drafted",
        rule="REF-01",
        source_kind=source.kind.value,
        source_id=source.id,
        receiver=referral.receiver,
    )
    return referral


async def update_draft(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    changes: ReferralUpdate,
) -> Referral:
    """Edit a draft; routing, REF-04 and REF-08 are checked again, REF-03 restarts if its
    inputs moved."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*SENDING_ROLES)
    domain.ensure_draft(REFERRAL.state_of(referral), "edited")
    given = changes.model_fields_set
    before = (referral.found_at, referral.urgent)
    apply_fields(
        referral,
        {k: v for k, v in changes.model_dump(exclude={"items", "party"}).items() if k in given},
    )
    if "party" in given:
        referral.party = party_dict(changes.party)
    if "items" in given:
        set_items(referral, changes.items or [])
    routing = route_referral(ctx, referral)
    referral.receiver, referral.proposed_receiver = routing.receiver, routing.proposed
    check_facts(referral, uow.now)
    if referral.found_at != before[0]:
        domain.check_finding_moved(found_at=referral.found_at, drafted_at=referral.created_at)
    referral.updated_at = uow.now
    referral.approved_at = referral.approved_by = None
    await uow.session.flush()
    await check_onward(uow, ctx, referral)
    if referral.found_at != before[0]:
        # REF-03: the old value is kept on record; moving the finding later restarts nothing.
        REFERRAL.audit(
            uow,
            referral,
            "found-at-changed",
            rule="REF-03",
            old=before[0].isoformat(),
            new=referral.found_at.isoformat(),
            first_found_at=(referral.first_found_at or before[0]).isoformat(),
        )
    first = referral.first_found_at or before[0]
    if referral.found_at < first or referral.urgent != before[1]:
        await start_send_deadline(uow, ctx, referral, restart=True)
    await notify_ongoing(uow, ctx, referral)
    REFERRAL.audit(uow, referral, "draft-updated", rule="REF-02", fields=sorted(given))
    return referral


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    kind: MaterialKind,
    title: str | None,
    upload: materials.Upload,
    idempotency_key: str | None = None,
) -> ReferralMaterial:
    """REF-05: attach a material to a draft; stored by SHA-256 after the size and type checks.
    The same Idempotency-Key with the same file returns the material the first upload added."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*SENDING_ROLES)
    domain.ensure_draft(REFERRAL.state_of(referral), "given materials")
    # The store is content-addressed, so storing before the key is claimed stores nothing twice.
    stored = await materials.store_material(ctx, upload, fallback=f"{kind.value}.bin")
    material, added = await materials.add_material(
        uow,
        ReferralMaterial(referral_id=referral.id, kind=kind.value, title=title or stored.filename),
        stored,
        by=actor,
        claim=materials.Claim(
            MATERIAL_SCOPE,
            idempotency_key,
            {"referral_id": str(referral.id), "kind": kind.value, "title": title},
        ),
    )
    if not added:
        return material
    referral.updated_at = uow.now
    REFERRAL.audit(
        uow,
        referral,
        "material-added",
        rule="REF-05",
        material_id=str(material.id),
        kind=kind.value,
        sha256=stored.sha256,
        size=stored.size,
    )
    return material


async def approve(uow: UnitOfWork, *, referral_id: uuid.UUID, actor: Principal) -> Referral:
    """A leader of the sender approves sending (where the setting asks for it)."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*APPROVING_ROLES)
    domain.ensure_draft(REFERRAL.state_of(referral), "approved")
    referral.approved_at, referral.approved_by = uow.now, actor.user
    REFERRAL.audit(uow, referral, "approved", rule="REF-03")
    return referral


async def send(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    base_url: str = "",
) -> Referral:
    """REF-03/REF-05: send a complete referral (its 案件移送函 issued now unless the sender
    uploaded its own letter and item list); a late one is sent and the breach recorded."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*SENDING_ROLES)
    settings = referral_settings(ctx)
    REFERRAL.check(referral, Step.SEND)
    routing = route_referral(ctx, referral)
    check_facts(referral, uow.now)
    uploaded = {MaterialKind(m.kind) for m in referral.materials}
    # REF-05 without retyping: unless the sender uploaded a letter of its own, the platform
    # issues the 案件移送函 as it sends, its attachment the item list as recorded. A letter of
    # the sender's own still needs the item list uploaded beside it.
    issue_letter = MaterialKind.LETTER not in uploaded
    domain.check_sendable(
        matter_code=referral.matter_code,
        receiver=routing.receiver,
        kinds=uploaded,
        items=items_of(referral),
        letter_issued=issue_letter,
    )
    # REF-08 once more: a case may have been referred to the sender since it drafted this.
    resembling = await check_onward(uow, ctx, referral)
    if settings.referral_require_leader_approval and referral.approved_at is None:
        if not actor.has_role(*APPROVING_ROLES):
            raise ApprovalRequired(
                "a leader of the sender must approve this referral first",
                zh="该移送须经本单位领导审批后方可移送",
            )
        referral.approved_at, referral.approved_by = uow.now, actor.user
    if resembling:  # a reason was stated (check_onward refused it otherwise): REF-08 holds it
        await hold(uow, referral, routing, resembling)
    else:
        await _deliver(uow, ctx, referral, routing, actor)
    # The letter records the sender's act of sending, held for the district government or not.
    if issue_letter:
        await documents.obtain(
            uow, ctx, draft=letter_draft(ctx, referral), actor=actor, base_url=base_url
        )
    return referral


async def _deliver(
    uow: UnitOfWork,
    ctx: ServiceContext,
    referral: Referral,
    routing: domain.Routing,
    actor: Principal,
) -> None:
    """REF-03/REF-06: the referral goes to its receiver; the receipt clock starts."""
    REFERRAL.transition(referral, Step.SEND, uow.now)
    referral.receiver, referral.proposed_receiver = routing.receiver, routing.proposed
    referral.sent_at, referral.sent_by = uow.now, actor.user
    met = await REFERRAL.satisfy_deadline(uow, referral, Step.SEND.value)
    await start_receipt_deadline(uow, ctx, referral)
    late = bool(met and met.overdue_at_satisfaction)
    uow.publish(events.referred(referral, routing, send_due=met, late=late), key=str(referral.id))
    REFERRAL.audit(
        uow,
        referral,
        "sent",
        rule="REF-03",
        receiver=routing.receiver,
        late=late,
        overridden=routing.overridden,
        override_reason=referral.jurisdiction_override_reason if routing.overridden else None,
    )


def _onward_refusal(referral: Referral) -> OnwardReferralForbidden:
    return OnwardReferralForbidden(
        "a case referred to you may not be referred on (不得再行移送); if it is not within your "
        "jurisdiction, answer it with decision report-to-district-gov so that the district "
        "government decides",
        zh="受移送的案件不得再行移送；认为不属于本单位管辖的，应以“报请区政府决定”书面答复，"
        "由区政府决定",
        referral_id=str(referral.id),
        report_instead=f"/referrals/{referral.id}/answer",
        rule="REF-08",
    )


def _received_by(referral: Referral, actor: Principal) -> bool:
    return actor.org in (referral.receiver, referral.assignee) and referral.state != "draft"


async def _refuse_onward(uow: UnitOfWork, referral_id: uuid.UUID, actor: Principal) -> None:
    """REF-08: a party that received a case may not refer it on."""
    referral = await REFERRAL.load_for(uow, referral_id, actor, lock=False)
    if _received_by(referral, actor):
        raise _onward_refusal(referral)


async def refuse_forward(
    uow: UnitOfWork, *, referral_id: uuid.UUID, actor: Principal, receiver: str
) -> OnwardReferralForbidden:
    """REF-08: record an attempt to refer a received case on; the caller raises the refusal."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    if not _received_by(referral, actor):
        raise Forbidden(
            "only the receiver of a case can ask to refer it on; it is refused (REF-08)",
            zh="只有受移送单位才可能提出再行移送，且再行移送不被允许(REF-08)",
        )
    REFERRAL.audit(
        uow, referral, "onward-referral-refused", rule="REF-08", attempted_receiver=receiver
    )
    return _onward_refusal(referral)
