"""Response models of the information sharing API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from info_sharing.domain.categories import Category
from info_sharing.domain.inbox import DeliveryReason
from info_sharing.domain.items import ItemState
from xietong_common import materials
from xietong_common.schemas import Label, Page


class CategoryOut(Label):
    """INFO-01: one of the nine categories with its number in the notice."""

    value: Category
    number: int = Field(ge=1, le=9, description="its number in 二(一) of the notice")


class CategoryInfo(CategoryOut):
    """A category as GET /categories describes it."""

    publishers: list[str] = Field(description="kinds of organisation that publish it")
    through_complaint_api: bool = Field(description="records come through POST /complaints")
    needs_table: bool = Field(description="published with a table attachment (xlsx, xls, csv)")


class StateOut(Label):
    value: ItemState


class SourceOut(BaseModel):
    """INFO-04: `manual`, or the record of another mechanism the item was made from."""

    kind: str = Field(examples=["review-decided"])
    id: str | None = None


class AttachmentOut(materials.MaterialOut):
    """附件: a file of an item."""

    content_type: str = Field(description="the type told from the file's bytes")
    title: str
    text_screened: bool = Field(
        description="INFO-02: the file's text was read whole and screened for secrecy markings"
    )
    classification_declared: str | None = Field(
        description="INFO-02: for a file whose text cannot be read, the classification its "
        "uploader declared (`none`)"
    )


class UpdateOut(BaseModel):
    """INFO-04: a change the item's source made (a complaint's status, an inspection finding)."""

    change: str = Field(examples=["complaint-status"])
    status: str | None = None
    note: str | None = None
    source_at: datetime | None = None
    at: datetime


class ReceiptCounts(BaseModel):
    """INFO-03: how many inboxes got the item and how many have read it (publisher's view)."""

    delivered: int
    read: int
    unread_overdue: int


class ItemSummary(BaseModel):
    """An item as lists show it."""

    id: uuid.UUID
    category: CategoryOut
    state: StateOut
    title: str
    publisher: str
    publisher_name: str
    matter_codes: list[str]
    towns: list[str]
    restricted: bool
    version: int
    superseded: bool = Field(description="a newer version replaced it (it stays readable)")
    superseded_by: uuid.UUID | None
    source: SourceOut
    published_at: datetime | None
    updated_at: datetime


class ItemOut(ItemSummary):
    """One item with everything its readers may see."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c8a52-3e0b-4f0e-9a57-3c3c1c0f9a11",
                    "category": {
                        "value": "discretion-workflows",
                        "label_zh": "自由裁量基准及行政执法工作流程",
                        "label_en": "discretion benchmarks and enforcement workflows",
                        "number": 6,
                    },
                    "state": {"value": "published", "label_zh": "已发布", "label_en": "published"},
                    "title": "涪陵区城市管理行政处罚自由裁量基准（2024年版）",
                    "publisher": "dept:urban-management",
                    "version": 2,
                    "superseded": False,
                }
            ]
        }
    )

    body: str
    details: dict[str, Any]
    audience: list[str] = Field(description="the named organisations of a restricted item")
    series_id: uuid.UUID
    supersedes: uuid.UUID | None
    attachments: list[AttachmentOut]
    updates: list[UpdateOut]
    created_at: datetime
    created_by: str
    receipts: ReceiptCounts | None = Field(
        default=None, description="for the publisher and oversight only"
    )


class VersionOut(BaseModel):
    id: uuid.UUID
    version: int
    state: StateOut
    published_at: datetime | None
    superseded_at: datetime | None


class SearchHit(ItemSummary):
    """A search result: ranked, with the matching words highlighted (HTML-escaped text with
    `<mark>…</mark>` around each match)."""

    rank: float = Field(description="ts_rank_cd over title (A), attachment names (B), body (C)")
    title_highlighted: str = Field(examples=["某<mark>餐饮</mark>店油烟直排整治情况"])
    snippet: str = Field(examples=["…巡查发现某<mark>餐饮</mark>店油烟直排…"])


class SearchPage(Page[SearchHit]):
    """A page of search results."""

    total_exact: bool = Field(
        description="false: more items match than XIETONG_INFO_SEARCH_COUNT_LIMIT, the total "
        "shown; narrow the search with filters"
    )


class DueOut(BaseModel):
    """When an inbox entry is to be read (INFO-03 setting), in UTC and as Chinese reads it."""

    due_at: datetime
    due_label_zh: str = Field(examples=["2024年3月6日24时前"])
    provisional: bool


class InboxEntry(BaseModel):
    """An item in the caller's inbox."""

    item: ItemSummary
    reason: DeliveryReason
    delivered_at: datetime | None
    read_at: datetime | None
    read_by: str | None
    read_due: DueOut | None
    overdue: bool = Field(description="unread past the setting (listed for oversight)")


class InboxSummary(BaseModel):
    """INFO-03: unread counts of the caller's inbox."""

    unread: int
    unread_overdue: int
    unread_by_category: dict[str, int]
    read_working_days: int = Field(description="the setting: working days to read an item")


class ReceiptOut(BaseModel):
    """INFO-03: a read receipt — an organisation that got or opened the item, and when it
    read it."""

    org: str
    org_name: str
    reason: DeliveryReason
    delivered_at: datetime | None
    read_at: datetime | None
    read_by: str | None
    overdue: bool


class OverdueOut(BaseModel):
    """INFO-03/SUP-01: an item still unread past the setting, for oversight."""

    org: str
    org_name: str
    item: ItemSummary
    delivered_at: datetime
    due: DueOut


class OverdueCount(BaseModel):
    org: str
    org_name: str
    unread_overdue: int


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    org: str
    name: str | None
    categories: list[Category]
    matter_codes: list[str]
    towns: list[str]
    publishers: list[str]
    created_at: datetime
    created_by: str


class FeedbackRequestOut(BaseModel):
    """INFO-01 (4): a department's standing request for feedback on penalty decisions."""

    id: uuid.UUID
    department: str
    department_name: str
    matter_code: str | None = Field(description="null: every matter the department owns")
    matter_name: str | None
    note: str | None
    created_at: datetime
    created_by: str
    withdrawn_at: datetime | None


class ComplaintOut(BaseModel):
    """The complaint record's item after the post."""

    created: bool = Field(description="the first post of this record made the item")
    status_applied: bool = Field(
        description="the posted status is now the current one (false: an older status, kept "
        "in the history only, or the same status again)"
    )
    item: ItemOut
