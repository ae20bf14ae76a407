"""Events of the information-sharing mechanism 信息互享 (二(一), INFO-01..INFO-04).

An item is one piece of shared enforcement information in one of the notice's nine
categories. Every event is keyed by the item id, so one item's events arrive in order.
The events carry what an integrator needs to route a notification (category, title,
publisher, who was notified), never an item's body or attachments: those are read through
the REST API with the reader's own token, so the item's visibility is enforced there.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.labels import LabelledEnum

INTEGRATORS = "integrators (town and department systems)"
OVERSIGHT = "oversight (SUP, planned)"
OVERSIGHT_LEDGER = "oversight (SUP-01/02)"  # read into its ledger


class InfoCategory(LabelledEnum):
    """INFO-01: the nine categories of shareable enforcement information (二(一) 1.–9.)."""

    LAWS_NORMS = (
        "laws-norms",
        "法律、法规、规章、技术规范、国家标准及规范性文件",
        "laws, regulations, rules, technical norms, national standards, normative documents",
    )
    LICENSING_SUPERVISION = (
        "licensing-supervision",
        "行政许可、行业管理、行业监督信息",
        "department licensing, industry management and supervision",
    )
    INSPECTION_RECORDS = (
        "inspection-records",
        "执法检查情况",
        "department inspection records",
    )
    PENALTY_DECISIONS = (
        "penalty-decisions",
        "行政处罚决定及执行情况",
        "town penalty decisions and their execution",
    )
    STATISTICS = (
        "statistics",
        "综合行政执法统计分析数据",
        "statistics for comprehensive enforcement",
    )
    DISCRETION_WORKFLOWS = (
        "discretion-workflows",
        "自由裁量基准及行政执法工作流程",
        "discretion benchmarks and enforcement workflows",
    )
    DYNAMIC = "dynamic", "履职动态信息", "dynamic information collected in duties"
    COMPLAINTS = "complaints", "投诉举报受理与处理情况", "complaints and reports and their handling"
    OTHER = "other", "其他需要共享的行政执法信息", "other enforcement information"


class ItemSource(ContractModel):
    """Where an item came from: typed in (`manual`) or made from another mechanism's record."""

    kind: str = Field(
        description="`manual`, `review-decided` (REV-08, category 4), `inspection` (INSP-07, "
        "category 3) or `complaint` (a platform's complaint record, category 8)",
        examples=["review-decided"],
    )
    id: str | None = Field(
        default=None,
        description="the review, inspection or `platform:record` the item was made from",
        examples=["5d1c…"],
    )


@event("info.published", producers=("info-sharing",), consumers=(INTEGRATORS, OVERSIGHT))
class InfoPublished(IntegrationEvent):
    """INFO-01/INFO-03: an item was published and every subscriber's inbox notified.

    `recipients` are the organisations whose inbox got the item (subscribers and, for an
    item restricted to named organisations, those organisations); a system that pushes
    notifications to a town or department routes on it.
    """

    item_id: str = Field(description="the item (one version)")
    series_id: str = Field(description="the first version's id, shared by every version")
    version: int = Field(ge=1, description="1 for a new item, more for a newer version")
    supersedes: str | None = Field(
        default=None, description="the version this one replaces (it stays readable, marked so)"
    )
    category: InfoCategory
    title: str = Field(examples=["关于印发《涪陵区城市管理行政处罚自由裁量基准》的通知"])
    publisher: str = Field(examples=["dept:urban-management"])
    matter_codes: list[str] = Field(default_factory=list, examples=[["URB-001"]])
    towns: list[str] = Field(default_factory=list, examples=[["town:lizhi"]])
    restricted: bool = Field(description="visible only to the publisher and `audience`")
    audience: list[str] = Field(
        default_factory=list, description="the named organisations of a restricted item"
    )
    recipients: list[str] = Field(description="organisations whose inbox was notified")
    source: ItemSource
    published_at: datetime


@event("info.updated", producers=("info-sharing",), consumers=(INTEGRATORS, OVERSIGHT))
class InfoUpdated(IntegrationEvent):
    """INFO-04: an item kept up to date by its source changed: a complaint's handling status,
    an inspection record's new finding or its closing."""

    item_id: str
    category: InfoCategory
    publisher: str = Field(examples=["district-gov"])
    change: str = Field(
        description="`complaint-status`, `inspection-finding` or `inspection-closed`",
        examples=["complaint-status"],
    )
    status: str | None = Field(
        default=None, description="a complaint's handling status after the change"
    )
    source: ItemSource
    updated_at: datetime


@event("info.read", producers=("info-sharing",), consumers=(INTEGRATORS, OVERSIGHT))
class InfoRead(IntegrationEvent):
    """INFO-03: a read receipt — an organisation has seen an item (first read only)."""

    item_id: str
    publisher: str = Field(examples=["dept:urban-management"])
    reader_org: str = Field(examples=["town:lizhi"])
    reader: str = Field(description="the person who read it")
    delivered_at: datetime | None = Field(
        default=None, description="when its inbox was notified (None: found it by searching)"
    )
    read_at: datetime
    late: bool = Field(description="read after the unread-item setting had passed")


@event(
    "info.unread-overdue",
    producers=("info-sharing",),
    consumers=(OVERSIGHT_LEDGER,),
    accountability=True,
)
class InfoUnreadOverdue(IntegrationEvent):
    """INFO-03/SUP-01: an item delivered to an organisation's inbox is still unread after the
    configured number of working days (及时: a setting, not a number of the notice)."""

    item_id: str
    category: InfoCategory
    publisher: str
    organisation: str = Field(description="the organisation that has not read it")
    delivered_at: datetime
    due_at: datetime = Field(description="end of the last working day it was to be read by")
    working_days: int = Field(ge=1, description="the setting in force (XIETONG_INFO_READ_…)")
