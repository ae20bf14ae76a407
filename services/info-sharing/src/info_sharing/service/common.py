"""The item as a record (`ITEM`), and the steps the information sharing use cases share:
reference data, INFO-02 screening, who reads an item, the search vector, delivery to
inboxes, publishing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert as pg_insert

from info_sharing import events
from info_sharing.domain import search as search_words
from info_sharing.domain import secrecy
from info_sharing.domain.categories import Category
from info_sharing.domain.inbox import DeliveryReason, duty_recipients
from info_sharing.domain.items import TRANSITIONS, ItemState, Step, Visibility
from info_sharing.errors import ClassifiedRefused, ItemNotFound
from info_sharing.models import Delivery, FeedbackRequest, Item, Subscription
from xietong_common.auth import Actor, Principal
from xietong_common.context import ServiceContext
from xietong_common.records import Db, RecordKind
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork

MECHANISM = "info-sharing"
PUBLISHING_ROLES = ("clerk", "handler", "leader")
PLATFORM_ROLES = ("platform", *PUBLISHING_ROLES)


# ---- reference data -----------------------------------------------------------------------


def org_name(ctx: ServiceContext, code: str) -> str:
    org = ctx.directory.get(code)
    return org.name_zh if org else code


# ---- INFO-02 -------------------------------------------------------------------------------


def refusal(markings: Sequence[secrecy.Marking]) -> ClassifiedRefused:
    """The problem names the fields and levels, never the text."""
    fields = sorted({m.field for m in markings})
    levels = sorted({m.level.value for m in markings})
    levels_zh = "、".join(sorted({m.level.label_zh for m in markings}))
    return ClassifiedRefused(
        f"marked as a state secret ({', '.join(levels)}) in: {', '.join(fields)}. Information "
        "the State Secrets Law forbids sharing is not shared; nothing was stored.",
        zh=f"以下内容标有国家秘密密级（{levels_zh}）：{'、'.join(fields)}。依据《中华人民共和国"
        "保守国家秘密法》不能提供的信息不属于信息共享的内容，本次提交未作任何保存。",
        fields=fields,
        levels=levels,
        rule="INFO-02",
    )


def markings_in(
    texts: Mapping[str, str], *, declared: secrecy.Classification | None = None
) -> list[secrecy.Marking]:
    return secrecy.screen(
        texts, names=[k for k in texts if secrecy.name_like(k)], declared=declared
    )


def screen_model(data: BaseModel, *, declared: secrecy.Classification | None = None) -> None:
    """INFO-02 on every text of a request, before anything is written."""
    texts = secrecy.flatten(data.model_dump(mode="json", exclude={"classification"}))
    found = markings_in(texts, declared=declared)
    if found:
        raise refusal(found)


def record_refused(
    uow: UnitOfWork,
    refused: ClassifiedRefused,
    *,
    via: str,
    source_kind: str | None = None,
    source_id: str | None = None,
    event_id: str | None = None,
) -> None:
    """INFO-02: that something marked secret was withheld — which fields, which levels,
    through what — and nothing of its content."""
    actor = uow.actor
    subject = f"withheld:{source_kind}:{source_id}" if source_kind else f"withheld:{via}"
    uow.audit(
        action="info.withheld",
        subject=subject,
        rule="INFO-02",
        detail={
            "via": via,
            "fields": refused.extensions.get("fields", []),
            "levels": refused.extensions.get("levels", []),
            "source_kind": source_kind,
            "source_id": source_id,
            "event_id": event_id,
            "org": actor.org if actor else None,
        },
    )


# ---- the item as a record -------------------------------------------------------------------


def visibility(item: Item) -> Visibility:
    return Visibility(
        publisher=item.publisher,
        state=ItemState(item.state),
        restricted=item.restricted,
        audience=frozenset(item.audience),
    )


def _in_audit(item: Item) -> dict[str, Any]:
    """What every audit row of an item carries: its state and category."""
    return {"state": item.state, "category": item.category}


ITEM: RecordKind[Item, ItemState, Step] = RecordKind(
    model=Item,
    subject="item",
    actions="info",
    mechanism=MECHANISM,
    name="item",
    name_zh="信息",
    # The organisations an item names. Who reads it is wider: a published item that is not
    # restricted is every coordinating party's (INFO-03), which no list of parties says, so
    # an item is read with `readable(...)` — `ITEM.get`, then the domain's `Visibility` —
    # and never with `ITEM.load_for`.
    parties=lambda item: (item.publisher, *item.audience),
    transitions=TRANSITIONS,
    audit_detail=_in_audit,
    not_found=ItemNotFound,
    collections=(Item.attachments, Item.updates),
)
"""信息共享: one version of an item a party shares (INFO-01..INFO-04)."""


async def readable(db: Db, item_id: uuid.UUID, actor: Actor, *, lock: bool = True) -> Item:
    """The item for a reader (locked unless `lock=False`): the kind's 404 — the same as for no
    item at all — to whoever may not read it (`Visibility.sees`)."""
    item = await ITEM.get(db, item_id, lock=lock)
    if not visibility(item).sees(actor.org):
        raise ITEM.missing()
    return item


async def own_item(uow: UnitOfWork, item_id: uuid.UUID, actor: Principal) -> Item:
    """The caller's own item, locked for a change: 404 to whoever may not read it, 403 to a
    reader who is not its publisher's officer."""
    item = await readable(uow, item_id, actor)
    actor.require_org(item.publisher)
    actor.require_role(*PUBLISHING_ROLES)
    return item


# ---- search vector -------------------------------------------------------------------------


def _details_text(details: Mapping[str, Any]) -> list[str]:
    return list(secrecy.flatten(dict(details)).values())


def _weighted(words: str, weight: str) -> sa.ColumnElement[Any]:
    return sa.func.setweight(
        sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), words),
        sa.literal_column(f"'{weight}'::\"char\""),
    )


async def refresh_search(uow: UnitOfWork, ctx: ServiceContext, item: Item) -> None:
    """The item's words: title (A), attachment titles and file names (B), body, fields and
    matter names (C), segmented by the Chinese tokenizer."""
    names = [t for a in item.attachments for t in (a.title, a.filename)]
    matters = [m.name_zh for c in item.matter_codes if (m := ctx.catalogue.get(c)) is not None]
    body = search_words.index_words(item.body, *_details_text(item.details), *matters)
    vector = (
        _weighted(search_words.index_words(item.title), "A")
        .op("||")(_weighted(search_words.index_words(*names), "B"))
        .op("||")(_weighted(body, "C"))
    )
    await uow.session.execute(
        sa.update(Item)
        .where(Item.id == item.id)
        .values(search=vector)
        .execution_options(synchronize_session=False)
    )


# ---- publishing and delivery (INFO-03) --------------------------------------------------------


async def deliver(uow: UnitOfWork, item: Item, *, duty: set[str]) -> list[str]:
    """Put the item in the inbox of every organisation it is addressed to, every organisation
    it is due to by the notice (`duty`, INFO-03) and every subscriber who may see it — once per
    organisation, never the publisher's own. One statement each."""
    reasons = {o: DeliveryReason.DUTY for o in duty}
    reasons.update({o: DeliveryReason.ADDRESSED for o in item.audience})
    reasons.pop(item.publisher, None)
    if reasons:
        await uow.session.execute(
            pg_insert(Delivery)
            .values(
                [
                    {
                        "org": org,
                        "item_id": item.id,
                        "reason": reason.value,
                        "delivered_at": uow.now,
                    }
                    for org, reason in sorted(reasons.items())
                ]
            )
            .on_conflict_do_nothing()
        )
    s = Subscription
    matching = sa.and_(
        s.cancelled_at.is_(None),
        s.org != item.publisher,
        sa.or_(sa.func.cardinality(s.categories) == 0, s.categories.contains([item.category])),
        sa.or_(sa.func.cardinality(s.matter_codes) == 0, s.matter_codes.overlap(item.matter_codes)),
        sa.or_(sa.func.cardinality(s.towns) == 0, s.towns.overlap(item.towns)),
        sa.or_(sa.func.cardinality(s.publishers) == 0, s.publishers.contains([item.publisher])),
    )
    if item.restricted:
        matching = sa.and_(matching, s.org.in_([*item.audience, OVERSIGHT_ORG]))
    subscribers = (
        sa.select(
            s.org,
            sa.literal(item.id, type_=sa.Uuid).label("item_id"),
            sa.literal(DeliveryReason.SUBSCRIPTION.value).label("reason"),
            sa.literal(uow.now, type_=sa.DateTime(timezone=True)).label("delivered_at"),
        )
        .where(matching)
        .distinct()
    )
    await uow.session.execute(
        pg_insert(Delivery)
        .from_select(["org", "item_id", "reason", "delivered_at"], subscribers)
        .on_conflict_do_nothing()
    )
    rows = await uow.session.execute(
        sa.select(Delivery.org)
        .where(Delivery.item_id == item.id, Delivery.delivered_at.is_not(None))
        .order_by(Delivery.org)
    )
    return list(rows.scalars())


async def publish(uow: UnitOfWork, ctx: ServiceContext, item: Item, *, by: str, rule: str) -> None:
    """Publish: the state, the search words, every inbox, the superseded version marked, and
    `info.published` — all in this transaction."""
    ITEM.transition(item, Step.PUBLISH, uow.now)
    item.published_at, item.published_by = uow.now, by
    await uow.session.flush()
    if item.supersedes is not None:
        older = await ITEM.get(uow, item.supersedes)
        ITEM.transition(older, Step.SUPERSEDE, uow.now)
        older.superseded_by, older.superseded_at = item.id, uow.now
        ITEM.audit(uow, older, "superseded", rule="INFO-01", superseded_by=str(item.id))
    await refresh_search(uow, ctx, item)
    duty = duty_recipients(
        Category(item.category),
        publisher=item.publisher,
        item_towns=item.towns,
        all_towns=[o.code for o in ctx.directory.towns()],
        restricted_to=item.audience if item.restricted else None,
    )
    recipients = await deliver(uow, item, duty=duty)
    uow.publish(events.published(item, recipients), key=str(item.id))
    ITEM.audit(
        uow,
        item,
        "published",
        rule=rule,
        version=item.version,
        supersedes=str(item.supersedes) if item.supersedes else None,
        restricted=item.restricted,
        recipients=len(recipients),
        source_kind=item.source_kind,
        source_id=item.source_id,
    )


# ---- feedback requests (INFO-01 (4)) ---------------------------------------------------------


async def requesting_departments(
    uow: UnitOfWork, ctx: ServiceContext, matter_codes: Iterable[str]
) -> list[str]:
    """The departments concerned (each matter's owner in the catalogue) that asked for
    feedback on that matter, or on all their matters."""
    wanted: list[sa.ColumnElement[bool]] = []
    for code in set(matter_codes):
        matter = ctx.catalogue.get(code)
        if matter is None:
            continue
        wanted.append(
            sa.and_(
                FeedbackRequest.department == matter.owner,
                sa.or_(FeedbackRequest.matter_code.is_(None), FeedbackRequest.matter_code == code),
            )
        )
    if not wanted:
        return []
    rows = await uow.session.execute(
        sa.select(FeedbackRequest.department)
        .where(FeedbackRequest.withdrawn_at.is_(None), sa.or_(*wanted))
        .distinct()
    )
    return sorted(rows.scalars())


def category_of(item: Item) -> Category:
    return Category(item.category)
