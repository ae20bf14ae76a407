"""Response views of the information sharing service, built from its tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from info_sharing.domain import search as search_words
from info_sharing.domain.categories import NEEDS_TABLE, PUBLISHERS, THROUGH_COMPLAINT_API, Category
from info_sharing.domain.inbox import DeliveryReason
from info_sharing.domain.items import ItemState
from info_sharing.models import (
    Attachment,
    Delivery,
    FeedbackRequest,
    Item,
    ItemUpdate,
    Subscription,
)
from info_sharing.schemas import (
    AttachmentOut,
    CategoryInfo,
    CategoryOut,
    DueOut,
    FeedbackRequestOut,
    InboxEntry,
    ItemOut,
    ItemSummary,
    ReceiptCounts,
    ReceiptOut,
    SearchHit,
    SubscriptionOut,
    VersionOut,
)
from info_sharing.schemas.responses import SourceOut, StateOut, UpdateOut
from xietong_common.calendar import Deadline, due_labels
from xietong_common.reference import OrganisationDirectory


def category_out(category: Category) -> CategoryOut:
    return CategoryOut(
        value=category,
        label_zh=category.label_zh,
        label_en=category.label_en,
        number=category.number,
    )


def category_info(category: Category) -> CategoryInfo:
    return CategoryInfo(
        **category_out(category).model_dump(),
        publishers=sorted(k.value for k in PUBLISHERS[category]),
        through_complaint_api=category in THROUGH_COMPLAINT_API,
        needs_table=category in NEEDS_TABLE,
    )


def name_of(directory: OrganisationDirectory, code: str) -> str:
    org = directory.get(code)
    return org.name_zh if org else code


def _summary_fields(item: Item, directory: OrganisationDirectory) -> dict[str, Any]:
    return {
        "id": item.id,
        "category": category_out(Category(item.category)),
        "state": StateOut.of(ItemState(item.state)),
        "title": item.title,
        "publisher": item.publisher,
        "publisher_name": name_of(directory, item.publisher),
        "matter_codes": list(item.matter_codes),
        "towns": list(item.towns),
        "restricted": item.restricted,
        "version": item.version,
        "superseded": item.state == ItemState.SUPERSEDED.value,
        "superseded_by": item.superseded_by,
        "source": SourceOut(kind=item.source_kind, id=item.source_id),
        "published_at": item.published_at,
        "updated_at": item.updated_at,
    }


def summary_of(item: Item, directory: OrganisationDirectory) -> ItemSummary:
    return ItemSummary(**_summary_fields(item, directory))


def attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut.of(a)


def update_out(u: ItemUpdate) -> UpdateOut:
    return UpdateOut(change=u.change, status=u.status, note=u.note, source_at=u.source_at, at=u.at)


def detail_of(
    item: Item, directory: OrganisationDirectory, *, receipts: ReceiptCounts | None
) -> ItemOut:
    return ItemOut(
        **_summary_fields(item, directory),
        body=item.body,
        details=dict(item.details),
        audience=list(item.audience),
        series_id=item.series_id,
        supersedes=item.supersedes,
        attachments=[attachment_out(a) for a in item.attachments],
        updates=[update_out(u) for u in item.updates],
        created_at=item.created_at,
        created_by=item.created_by,
        receipts=receipts,
    )


def version_out(item: Item) -> VersionOut:
    return VersionOut(
        id=item.id,
        version=item.version,
        state=StateOut.of(ItemState(item.state)),
        published_at=item.published_at,
        superseded_at=item.superseded_at,
    )


def hit_of(
    item: Item, directory: OrganisationDirectory, *, rank: float, terms: list[str]
) -> SearchHit:
    snippet = search_words.snippet(item.body, terms)
    if "<mark>" not in snippet and item.attachments:
        # the words were found in an attachment's name: show that instead
        names = search_words.snippet("；".join(a.title for a in item.attachments), terms)
        snippet = names if "<mark>" in names else snippet
    return SearchHit(
        **_summary_fields(item, directory),
        rank=rank,
        title_highlighted=search_words.highlight(item.title, terms),
        snippet=snippet,
    )


def due_out(deadline: Deadline) -> DueOut:
    return DueOut(
        due_at=deadline.due_at,
        due_label_zh=due_labels(deadline.due_at, provisional=deadline.provisional)[0],
        provisional=deadline.provisional,
    )


def inbox_entry(
    delivery: Delivery,
    item: Item,
    directory: OrganisationDirectory,
    *,
    due: Deadline | None,
    now: datetime,
) -> InboxEntry:
    return InboxEntry(
        item=summary_of(item, directory),
        reason=DeliveryReason(delivery.reason),
        delivered_at=delivery.delivered_at,
        read_at=delivery.read_at,
        read_by=delivery.read_by,
        read_due=due_out(due) if due else None,
        overdue=bool(due and delivery.read_at is None and due.is_breached(now)),
    )


def receipt_out(
    delivery: Delivery, directory: OrganisationDirectory, *, overdue: bool
) -> ReceiptOut:
    return ReceiptOut(
        org=delivery.org,
        org_name=name_of(directory, delivery.org),
        reason=DeliveryReason(delivery.reason),
        delivered_at=delivery.delivered_at,
        read_at=delivery.read_at,
        read_by=delivery.read_by,
        overdue=overdue,
    )


def subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id,
        org=s.org,
        name=s.name,
        categories=[Category(c) for c in s.categories],
        matter_codes=list(s.matter_codes),
        towns=list(s.towns),
        publishers=list(s.publishers),
        created_at=s.created_at,
        created_by=s.created_by,
    )


def feedback_request_out(
    r: FeedbackRequest, directory: OrganisationDirectory, matter_name: str | None
) -> FeedbackRequestOut:
    return FeedbackRequestOut(
        id=r.id,
        department=r.department,
        department_name=name_of(directory, r.department),
        matter_code=r.matter_code,
        matter_name=matter_name,
        note=r.note,
        created_at=r.created_at,
        created_by=r.created_by,
        withdrawn_at=r.withdrawn_at,
    )
