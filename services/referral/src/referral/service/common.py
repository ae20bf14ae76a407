"""The referral as a record (`REFERRAL`), and the steps the referral use cases share:
routing, the draft's checks, REF-08's onward referral in disguise, REF-04's prompt report."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from referral import domain, events
from referral.domain import MatterJurisdiction, Parties, ReferralState, Resemblance, Step
from referral.errors import MaterialsMissing
from referral.models import Referral, ReferralItem
from referral.schemas import ItemIn
from referral.settings import referral_settings
from xietong_common import deadlines
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import AnswerDecision
from xietong_common.contracts.review import CaseParty
from xietong_common.parties import PartyKind
from xietong_common.records import RecordKind
from xietong_common.reference import DISTRICT_GOV, OrgKind
from xietong_common.schemas import PartyIn
from xietong_common.uow import UnitOfWork

MECHANISM = "referral"
SENDING_ROLES = ("handler", "leader")  # the sender drafts, edits and sends (REF-01..REF-05)
APPROVING_ROLES = ("leader",)  # a leader of the sender approves sending (REF-03)
RECEIVING_ROLES = ("clerk",)  # the receiver's clerk signs the 送达回证 (REF-06)
HANDLING_ROLES = ("handler", "leader")  # the receiver answers, files, concludes (REF-07..REF-10)
# REF-04: the party informed of an ongoing violation: its clerk or a handler acknowledges it.
INFORMED_ROLES = (*RECEIVING_ROLES, *HANDLING_ROLES)


def parties(referral: Referral) -> Parties:
    return Parties(
        sender=referral.sender,
        receiver=referral.receiver,
        assignee=referral.assignee,
        state=ReferralState(referral.state),
        held=referral.held_at is not None,
    )


def _received_by(org: str) -> sa.ColumnElement[bool]:
    """The inbox: sent to the organisation, assigned to it, or (the district government)
    reported or held for it; a referral never delivered is nobody's but its sender's (and,
    held, the district government's: REF-08)."""
    delivered = sa.and_(
        Referral.state.not_in([s.value for s in domain.UNDELIVERED]),
        sa.or_(Referral.receiver == org, Referral.assignee == org),
    )
    if org != DISTRICT_GOV:
        return delivered
    return sa.or_(
        delivered,
        Referral.answer_decision == AnswerDecision.REPORT_TO_DISTRICT_GOV.value,
        Referral.held_at.is_not(None),
    )


REFERRAL: RecordKind[Referral, ReferralState, Step] = RecordKind(
    model=Referral,
    subject="referral",
    mechanism=MECHANISM,
    name="referral",
    name_zh="移送案件",
    parties=lambda r: parties(r).visible_to(),
    transitions=domain.TRANSITIONS,
    sort={
        "created_at": Referral.created_at,
        "found_at": Referral.found_at,
        "sent_at": Referral.sent_at,
    },
    collections=(Referral.items, Referral.materials, Referral.cooperation_requests),
    documents=True,
    sent_by=lambda org: Referral.sender == org,
    received_by=_received_by,
)
"""案件移送: a case on its way from the party that found it to the party with jurisdiction."""


# ---- the draft: its checks, its fields, its routing (REF-01..REF-05) ---------------------------


def matter_jurisdiction(ctx: ServiceContext, code: str) -> MatterJurisdiction:
    """REF-02: is the matter delegated to towns, and which department owns it."""
    matter = ctx.catalogue.require(code)
    return MatterJurisdiction(code=code, town_level=matter.town_level, owner=matter.owner)


class Draft(Protocol):
    """What a new draft says, however it came (`ReferralCreate`, `SourcedDraft`)."""

    @property
    def place_town(self) -> str: ...
    @property
    def matter_code(self) -> str | None: ...
    @property
    def receiver(self) -> str | None: ...
    @property
    def found_at(self) -> datetime: ...


def check_draft(ctx: ServiceContext, draft: Draft, *, sender: str, now: datetime) -> None:
    """What a draft satisfies however it is made (a request, a consumed event): REF-01 a
    referral between listed towns and departments, at a listed town; a matter of the
    catalogue; REF-03 a finding not in the future (the deadline runs from it)."""
    ctx.directory.require(sender, OrgKind.TOWN, OrgKind.DEPARTMENT, rule="REF-01")
    ctx.directory.require(draft.place_town, OrgKind.TOWN)
    if draft.matter_code is not None:
        ctx.catalogue.require(draft.matter_code)
    if draft.receiver is not None:
        ctx.directory.require(draft.receiver)
        domain.check_direction(sender, draft.receiver)
    domain.check_times(found_at=draft.found_at, now=now)


def route_referral(ctx: ServiceContext, referral: Referral) -> domain.Routing:
    """REF-01/REF-02 on the referral as it stands."""
    if not referral.matter_code or not referral.place_town:
        raise MaterialsMissing(
            "the referral needs a matter code and a place",
            zh="移送案件须有事项编码和违法行为发生地",
            missing=["matter_code", "place_town"],
        )
    matter = matter_jurisdiction(ctx, referral.matter_code)
    ctx.directory.require(referral.place_town, OrgKind.TOWN)
    if referral.receiver:
        ctx.directory.require(referral.receiver)
    return domain.route(
        sender=referral.sender,
        matter=matter,
        place_town=referral.place_town,
        receiver=referral.receiver,
        override_reason=referral.jurisdiction_override_reason,
    )


def items_of(referral: Referral) -> list[domain.Item]:
    return _as_domain(referral.items)


def _as_domain(items: list[ReferralItem]) -> list[domain.Item]:
    return [
        domain.Item(
            name=i.name,
            quantity=i.quantity,
            disposed_in_advance=i.disposed_in_advance,
            proceeds=i.proceeds,
        )
        for i in items
    ]


def party_dict(party: PartyIn | CaseParty | None) -> dict[str, Any] | None:
    return party.model_dump(mode="json") if party is not None else None


def new_items(items: list[ItemIn]) -> dict[str, Any]:
    """A new draft's seized items (REF-05) and the proceeds transferred with them, as values
    of `REFERRAL.new` (no items: an empty collection set as loaded, not through the
    attribute's events)."""
    rows = [ReferralItem(position=n, **i.model_dump()) for n, i in enumerate(items)]
    return {"items": rows, "proceeds_transferred": domain.proceeds_total(_as_domain(rows))}


def set_items(referral: Referral, items: list[ItemIn]) -> None:
    """A draft's items replaced (REF-05), and the proceeds transferred with them."""
    values = new_items(items)
    referral.items = values["items"]
    referral.proceeds_transferred = values["proceeds_transferred"]


def apply_fields(referral: Referral, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(referral, name, value)


def check_facts(referral: Referral, now: datetime) -> None:
    domain.check_times(found_at=referral.found_at, now=now)
    domain.check_stop_measure(
        ongoing=referral.ongoing,
        stop_measure=referral.stop_measure,
        stop_measure_at=referral.stop_measure_at,
        found_at=referral.found_at,
        now=now,
    )


async def start_send_deadline(
    uow: UnitOfWork, ctx: ServiceContext, referral: Referral, *, restart: bool = False
) -> deadlines.TrackedDeadline:
    """REF-03: the sender owes the referral 5 working days (24 hours if urgent) after finding —
    the first finding it ever stated. `restart`: the finding moved earlier or the urgency
    changed (an edited draft), so the running clock is replaced."""
    first = min(referral.first_found_at or referral.found_at, referral.found_at)
    if referral.first_found_at != first:
        # Assigning the value it has would still mark the referral changed: the next statement
        # would flush it again, for nothing (a new draft's is set already; issue 22).
        referral.first_found_at = first
    if restart:
        await REFERRAL.cancel_deadline(
            uow, referral, Step.SEND.value, reason="finding-date-changed"
        )
    return await REFERRAL.start_deadline(
        uow,
        referral,
        Step.SEND.value,
        calendar=ctx.calendar,
        rule=domain.send_deadline(urgent=referral.urgent),
        organisation=referral.sender,
        counterparty=referral.receiver,
        started_at=first,
    )


async def start_receipt_deadline(uow: UnitOfWork, ctx: ServiceContext, referral: Referral) -> None:
    """REF-06: the receiver signs for a delivered referral within the setting (if one is set)."""
    settings = referral_settings(ctx)
    if settings.referral_receipt_working_days and referral.receiver:
        await REFERRAL.start_deadline(
            uow,
            referral,
            Step.RECEIVE.value,
            calendar=ctx.calendar,
            rule=domain.receipt_deadline(settings.referral_receipt_working_days),
            organisation=referral.receiver,
            counterparty=referral.sender,
        )


# ---- REF-08: an onward referral in disguise ---------------------------------------------------


def case_key(referral: Referral | sa.Row[*tuple[Any, ...]]) -> domain.CaseKey:
    """What REF-08 compares: the party (its number; an organisation's name), facts, place,
    matter and when it was found."""
    party = referral.party or {}
    kind = party.get("kind")
    return domain.CaseKey(
        facts=referral.facts or "",
        found_at=referral.found_at,
        party_id=domain.normalise_identity(party.get("id_number")),
        party_name=domain.normalise_name(party.get("name")),
        party_is_organisation=bool(kind) and kind != PartyKind.CITIZEN.value,
        matter_code=referral.matter_code,
        place_town=referral.place_town,
    )


# Prepared once; only what case_key reads (no case, item or material objects loaded). Of the
# table's columns, not the model's attributes: the session runs it as a Core statement, without
# the ORM's compile state and loading (issue 22).
_REFERRALS = Referral.__table__.c
_RECEIVED = (
    sa.select(
        _REFERRALS.id,
        _REFERRALS.facts,
        _REFERRALS.found_at,
        _REFERRALS.party,
        _REFERRALS.matter_code,
        _REFERRALS.place_town,
    )
    .where(
        sa.func.coalesce(_REFERRALS.assignee, _REFERRALS.receiver) == sa.bindparam("holder"),
        # One array parameter, not an IN list whose members SQLAlchemy renders into the
        # statement's text again on every execution (~60 calls of every create; issue 22).
        _REFERRALS.state
        == sa.any_(
            sa.literal([s.value for s in domain.RECEIVED_STATES], postgresql.ARRAY(sa.Text))
        ),
        _REFERRALS.id != sa.bindparam("self_id"),
    )
    .order_by(_REFERRALS.created_at)
)


async def resembling_received_cases(
    uow: UnitOfWork, ctx: ServiceContext, referral: Referral
) -> list[Resemblance]:
    """REF-08: the cases referred to the sender (or assigned to it), finished or not, that this
    referral resembles. Segmenting and comparing the facts runs in a thread, off the loop."""
    settings = referral_settings(ctx)
    # A read that locks nothing: the create's BEGIN can wait for its writes (`uow.read`).
    held = await uow.read(_RECEIVED, {"holder": referral.sender, "self_id": referral.id})
    keys = [(str(other.id), case_key(other)) for other in held]
    if not keys:
        return []
    new = case_key(referral)
    window = timedelta(days=settings.referral_onward_window_days)

    def compare() -> list[Resemblance]:
        found = []
        for held_id, key in keys:
            match = domain.resemblance(
                new,
                key,
                held_id=held_id,
                facts_threshold=settings.referral_onward_facts_similarity,
                window=window,
            )
            if match is not None:
                found.append(match)
        return found

    return await asyncio.to_thread(compare)


async def check_onward(
    uow: UnitOfWork, ctx: ServiceContext, referral: Referral, *, refuse: bool = True
) -> list[Resemblance]:
    """REF-08 on the referral as it stands: flag it when it resembles a received, unfinished
    case; refuse it (unless `refuse` is off) when the sender has not said why it differs."""
    found = await resembling_received_cases(uow, ctx, referral)
    before = referral.possible_onward_of
    flagged = [r.referral_id for r in found] or None
    if flagged != before:  # assigning an equal JSON value would still write it again
        referral.possible_onward_of = flagged
    if refuse:
        domain.check_not_onward(found, distinct_reason=referral.distinct_case_reason)
    if found and referral.possible_onward_of != before:
        REFERRAL.audit(
            uow,
            referral,
            "possible-onward-referral",
            rule="REF-08",
            resembles=len(found),
            grounds=sorted({g.value for r in found for g in r.grounds}),
            distinct_case_reason=referral.distinct_case_reason,
        )
    return found


# ---- REF-04: promptly inform the party with jurisdiction -----------------------------------

INFORM = "inform"


async def notify_ongoing(uow: UnitOfWork, ctx: ServiceContext, referral: Referral) -> bool:
    """REF-04: an ongoing violation is reported to the party with jurisdiction at once, as soon
    as a draft names it (again if the draft's receiver changes), within the 'promptly' setting
    counted from the finding; a late report is recorded as a breach. True if it reported."""
    if not referral.ongoing or not referral.receiver:
        return False
    if referral.ongoing_notified_to == referral.receiver:
        return False
    rule = domain.inform_deadline(referral_settings(ctx).referral_ongoing_inform_hours)
    if referral.ongoing_notified_to is None:
        # The first report meets (or misses) REF-04; one to a corrected receiver is not a
        # second deadline.
        await REFERRAL.start_deadline(
            uow,
            referral,
            INFORM,
            calendar=ctx.calendar,
            rule=rule,
            organisation=referral.sender,
            counterparty=referral.receiver,
            started_at=referral.found_at,
        )
    met = await REFERRAL.satisfy_deadline(uow, referral, INFORM)
    due_at = met.due_at if met else ctx.calendar.deadline_for(referral.found_at, rule).due_at
    late = uow.now > due_at
    referral.ongoing_notified_to, referral.ongoing_notified_at = referral.receiver, uow.now
    uow.publish(
        events.ongoing_violation_notified(referral, due_at=due_at, late=late), key=str(referral.id)
    )
    REFERRAL.audit(
        uow,
        referral,
        "ongoing-violation-notified",
        rule="REF-04",
        receiver=referral.receiver,
        late=late,
    )
    return True
