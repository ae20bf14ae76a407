"""Rulings (SUP-01): the justice bureau rules on the facts it reviews, and the organisation
concerned states its case first (陈述申辩).

A ruling never changes or removes the fact it is given on: it is a row of its own
(`ledger_rulings`, the current one; `ledger_ruling_history`, every one), and the assessment
counts the figures both as recorded and after rulings. A ruling revised later needs
`If-Match` with the version its author read, so no one overwrites a ruling unseen: none →
428, another → 412. Every ruling and reply is audited under SUP-01.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from oversight.domain import RULABLE_KINDS, RulingOutcome
from oversight.errors import (
    AlreadyReplied,
    NotRulable,
    NotVisible,
    ReasonRequired,
    RulingVersionRequired,
    RulingVersionStale,
)
from oversight.models import (
    LedgerDeadline,
    LedgerFact,
    LedgerReply,
    LedgerRuling,
    LedgerRulingHistory,
)
from oversight.service.common import FACT, sees_everyone
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.contracts.oversight import OversightRulingMade
from xietong_common.errors import Forbidden
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork

RULE = "SUP-01"
RULING_SCOPE = "oversight.ruling"
REPLY_SCOPE = "oversight.reply"


@dataclass(frozen=True)
class Item:
    """A fact under review and what was said and ruled on it."""

    fact: LedgerFact
    reply: LedgerReply | None
    ruling: LedgerRuling | LedgerRulingHistory | None  # the history's: a replayed ruling
    history: list[LedgerRulingHistory]

    @property
    def version(self) -> int:
        return self.ruling.version if self.ruling else 0


def etag(version: int) -> str:
    return f'"{version}"'


def matches(if_match: str, version: int) -> bool:
    """Whether `If-Match` names this version. Strong comparison only (RFC 9110 13.1.1); `*`
    matches nothing here, since it would let a ruling overwrite one its author never read."""
    return etag(version) in (part.strip() for part in if_match.split(","))


async def _item(session: AsyncSession, fact: LedgerFact) -> Item:
    reply = (
        await session.execute(sa.select(LedgerReply).where(LedgerReply.fact_id == fact.id))
    ).scalar_one_or_none()
    ruling = (
        await session.execute(sa.select(LedgerRuling).where(LedgerRuling.fact_id == fact.id))
    ).scalar_one_or_none()
    history = (
        await session.execute(
            sa.select(LedgerRulingHistory)
            .where(LedgerRulingHistory.fact_id == fact.id)
            .order_by(LedgerRulingHistory.version)
        )
    ).scalars()
    return Item(fact=fact, reply=reply, ruling=ruling, history=list(history))


async def item(session: AsyncSession, *, principal: Principal, fact_id: uuid.UUID) -> Item:
    """SUP-01: one fact with its reply and rulings; a unit sees those on itself only."""
    return await _item(session, await FACT.load_for(session, fact_id, principal, lock=False))


def _rulable(fact: LedgerFact) -> None:
    if fact.kind not in RULABLE_KINDS:
        raise NotRulable(
            f"a {fact.kind} fact is not ruled on; only {', '.join(RULABLE_KINDS)}",
            zh="仅对超期、不予协助、推诿刁难和逾期未读事实作出认定",
            kind=fact.kind,
            rulable_kinds=list(RULABLE_KINDS),
        )


async def rule(
    uow: UnitOfWork,
    *,
    actor: Principal,
    fact_id: uuid.UUID,
    outcome: RulingOutcome,
    reason: str | None,
    if_match: str | None,
    idempotency_key: str | None = None,
) -> Item:
    """SUP-01: the justice bureau's ruling on a fact, first or revised, published as
    `oversight.ruling-made`. A retry with the same Idempotency-Key (and body) returns the
    ruling the first request gave, as it was then, whatever If-Match it sends."""
    if actor.org != OVERSIGHT_ORG:  # the route says so too; this also guards other callers
        raise Forbidden(
            "only the district justice bureau rules on the ledger",
            zh="仅区司法局可作出督察认定",
            rule=RULE,
        )
    reason = reason.strip() if reason else None
    if outcome is RulingOutcome.EXCUSED and not is_stated(reason):
        raise ReasonRequired(
            f"an excuse states its reason (at least {MIN_REASON} characters)",
            zh=f"免责须说明理由（至少 {MIN_REASON} 个字）",
            min_chars=MIN_REASON,
        )
    session = uow.session
    fact = await FACT.load_for(uow, fact_id, actor)
    _rulable(fact)
    request = {"fact_id": str(fact.id), "outcome": outcome.value, "reason": reason}
    replay = await idempotency.claim(
        uow, scope=RULING_SCOPE, org=actor.org, key=idempotency_key, request=request
    )
    if replay is not None:
        return await _as_ruled(session, fact, int(replay.rpartition(":")[2]))
    current = (
        await session.execute(sa.select(LedgerRuling).where(LedgerRuling.fact_id == fact.id))
    ).scalar_one_or_none()
    version = current.version if current else 0
    if if_match is None:
        if current is not None:
            raise RulingVersionRequired(
                "the fact is already ruled on: send If-Match with its current ETag",
                zh="该事实已作出认定：变更须在 If-Match 中注明当前版本",
                version=version,
            )
    elif not matches(if_match, version):
        raise RulingVersionStale(
            f"the current version is {version}", zh=f"当前版本为 {version}", version=version
        )
    now = uow.now
    if current is None:
        current = LedgerRuling(
            fact_id=fact.id,
            organisation=fact.organisation,
            first_ruled_at=now,
        )
        session.add(current)
    previous = current.outcome
    current.outcome = outcome.value
    current.reason = reason
    current.version = version + 1
    current.ruled_by = actor.user
    current.ruled_at = now
    session.add(
        LedgerRulingHistory(
            fact_id=fact.id,
            version=version + 1,
            outcome=outcome.value,
            reason=reason,
            ruled_by=actor.user,
            ruled_at=now,
        )
    )
    FACT.audit(
        uow,
        fact,
        outcome.value,
        rule=RULE,
        version=version + 1,
        outcome=outcome.value,
        reason=reason,
        previous=previous,
    )
    uow.publish(
        OversightRulingMade(
            fact_id=str(fact.id),
            fact_kind=fact.kind,
            fact_rule=fact.rule,
            subject=fact.subject,
            organisation=fact.organisation,
            counterparty=fact.counterparty,
            outcome=outcome.value,
            reason=reason,
            previous=previous,
            version=version + 1,
            ruled_by=actor.user,
            ruled_at=now,
        ),
        key=str(fact.id),
    )
    await session.flush()
    await idempotency.remember(
        uow,
        scope=RULING_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=f"{fact.id}:{version + 1}",
    )
    return await _item(session, fact)


async def _as_ruled(session: AsyncSession, fact: LedgerFact, version: int) -> Item:
    """The item as the ruling `version` left it: that ruling, and the history up to it."""
    found = await _item(session, fact)
    history = [h for h in found.history if h.version <= version]
    ruling = next((h for h in history if h.version == version), None)
    return Item(fact=fact, reply=found.reply, ruling=ruling, history=history)


async def reply(
    uow: UnitOfWork,
    *,
    actor: Principal,
    fact_id: uuid.UUID,
    text: str,
    idempotency_key: str | None = None,
) -> Item:
    """SUP-01: the organisation concerned states its case (陈述申辩), once, before the ruling.
    A retry with the same Idempotency-Key (and text) returns the item as the reply left it
    (before any ruling), not 409."""
    text = text.strip()
    if not is_stated(text):
        raise ReasonRequired(
            f"a reply states the organisation's case (at least {MIN_REASON} characters)",
            zh=f"陈述申辩须说明理由（至少 {MIN_REASON} 个字）",
            min_chars=MIN_REASON,
        )
    session = uow.session
    fact = await FACT.load_for(uow, fact_id, actor)
    if fact.organisation != actor.org:  # an overseer sees the fact but does not answer for it
        raise Forbidden(
            "only the organisation concerned replies on a fact",
            zh="仅被督察单位可陈述申辩",
            rule=RULE,
        )
    _rulable(fact)
    replay = await idempotency.claim(
        uow,
        scope=REPLY_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"fact_id": str(fact.id), "text": text},
    )
    found = await _item(session, fact)
    if replay is not None:
        return Item(fact=fact, reply=found.reply, ruling=None, history=[])
    if found.reply is not None or found.ruling is not None:
        raise AlreadyReplied(
            "the organisation has already replied"
            if found.reply is not None
            else "the fact is already ruled on: a reply comes before the ruling",
            zh="已陈述申辩" if found.reply is not None else "该事实已作出认定，不能再陈述申辩",
            replied=found.reply is not None,
            ruled=found.ruling is not None,
        )
    session.add(
        LedgerReply(
            fact_id=fact.id,
            organisation=fact.organisation,
            text=text,
            replied_by=actor.user,
            replied_at=uow.now,
        )
    )
    FACT.audit(uow, fact, "reply", rule=RULE, text=text)
    await session.flush()
    await idempotency.remember(
        uow, scope=REPLY_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(fact.id)
    )
    return await _item(session, fact)


async def rulings(
    session: AsyncSession,
    *,
    principal: Principal,
    organisation: str | None,
    outcome: RulingOutcome | None,
    paging: PageParams,
) -> tuple[list[tuple[LedgerRuling, LedgerFact]], int]:
    """SUP-01: the current rulings, latest first; a unit sees those on itself only."""
    if not sees_everyone(principal):
        if organisation is not None and organisation != principal.org:
            raise NotVisible("no rulings on that organisation", zh="未找到对该单位的认定")
        organisation = principal.org
    r, f = LedgerRuling, LedgerFact
    where: list[sa.ColumnElement[bool]] = []
    if organisation is not None:
        where.append(r.organisation == organisation)
    if outcome is not None:
        where.append(r.outcome == outcome.value)
    rows, total = await fetch_page(
        session,
        sa.select(r).where(*where).order_by(r.ruled_at.desc(), r.id),
        paging,
        changed=r.ruled_at,  # a revised ruling is ruled again
    )
    found = list(rows)
    facts = {
        fact.id: fact
        for fact in (
            await session.execute(sa.select(f).where(f.id.in_([x.fact_id for x in found])))
        ).scalars()
    }
    return [(x, facts[x.fact_id]) for x in found], total


async def breach_facts(
    session: AsyncSession, rows: list[LedgerDeadline]
) -> dict[uuid.UUID, tuple[uuid.UUID, str | None]]:
    """For each breached deadline (by ledger id): the fact of its breach and its ruling."""
    if not rows:
        return {}
    d, f, r = LedgerDeadline, LedgerFact, LedgerRuling
    found = await session.execute(
        sa.select(d.id, f.id, r.outcome)
        .select_from(d)
        .join(
            f,
            sa.and_(
                f.source == d.mechanism,
                f.fact_key == d.deadline_id + ":breached",
                f.kind == "deadline.breached",
            ),
        )
        .outerjoin(r, r.fact_id == f.id)
        .where(d.id.in_([row.id for row in rows]))
    )
    return {deadline_id: (fact_id, outcome) for deadline_id, fact_id, outcome in found.all()}


async def outcomes_of(session: AsyncSession, facts: list[LedgerFact]) -> dict[uuid.UUID, str]:
    """The current ruling on each of these facts that has one."""
    if not facts:
        return {}
    found = await session.execute(
        sa.select(LedgerRuling.fact_id, LedgerRuling.outcome).where(
            LedgerRuling.fact_id.in_([fact.id for fact in facts])
        )
    )
    return {fact_id: outcome for fact_id, outcome in found.all()}
