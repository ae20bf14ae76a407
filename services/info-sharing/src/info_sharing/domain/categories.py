"""INFO-01: the nine categories, who may publish each, and the vocabularies of their fields.

The notice says who produces each kind of information: 2, 3 and 7 are what the district
departments (区级行政执法部门) do; 4 are penalty decisions the towns made; the others any
coordinating party may share. Category 8 (complaints) arrives through the complaint API,
idempotent per platform record (INFO-04), so its handling status stays current.
"""

from __future__ import annotations

from info_sharing.errors import PublisherNotAllowed
from xietong_common.contracts.info import InfoCategory
from xietong_common.labels import LabelledEnum
from xietong_common.reference import OrgKind, org_kind

Category = InfoCategory

_ANY = frozenset(
    {
        OrgKind.TOWN,
        OrgKind.DEPARTMENT,
        OrgKind.JUSTICE_BUREAU,
        OrgKind.JUSTICE_OFFICE,
        OrgKind.DISTRICT_GOV,
    }
)
_DEPARTMENTS = frozenset({OrgKind.DEPARTMENT})

PUBLISHERS: dict[Category, frozenset[OrgKind]] = {
    # 1. laws and normative documents: departments, towns, the justice bureau and its offices,
    #    the district government all issue or pass them on.
    Category.LAWS_NORMS: _ANY,
    # 2./3./7. "区级行政执法部门实施的 / 在履职过程中收集、掌握、制作的"
    Category.LICENSING_SUPERVISION: _DEPARTMENTS,
    Category.INSPECTION_RECORDS: _DEPARTMENTS,
    Category.DYNAMIC: _DEPARTMENTS,
    # 4. "作出的…行政处罚决定及执行情况": the towns' decisions
    Category.PENALTY_DECISIONS: frozenset({OrgKind.TOWN}),
    # 5. statistics are asked of and given by everyone (督查考核, 档案管理 …)
    Category.STATISTICS: _ANY,
    # 6. discretion benchmarks (departments, towns) and workflows (also the justice bureau)
    Category.DISCRETION_WORKFLOWS: _ANY,
    # 8. complaints: whoever runs an intake platform or received the complaint
    Category.COMPLAINTS: _ANY,
    Category.OTHER: _ANY,
}

# Category 8 is made and kept current only through POST /complaints (one record per
# platform record id), never typed as an item.
THROUGH_COMPLAINT_API = frozenset({Category.COMPLAINTS})


def check_publisher(category: Category, org: str) -> None:
    """INFO-01: only the parties the notice names produce this kind of information."""
    kind = org_kind(org)
    allowed = PUBLISHERS[category]
    if kind not in allowed:
        kinds = sorted(k.value for k in allowed)
        raise PublisherNotAllowed(
            f"{org} cannot publish category {category.number} ({category.label_en}); "
            f"it is published by: {', '.join(kinds)}",
            zh=f"{org} 不能发布第{category.number}类信息（{category.label_zh}），"
            f"该类信息由以下机构发布：{'、'.join(sorted(k.label_zh for k in allowed))}",
            category=category.value,
            allowed_publishers=kinds,
            rule="INFO-01",
        )


# ---- vocabularies of the category fields --------------------------------------------------


class NormLevel(LabelledEnum):
    """Category 1: 效力层级."""

    LAW = "law", "法律"
    ADMINISTRATIVE_REGULATION = "administrative-regulation", "行政法规"
    LOCAL_REGULATION = "local-regulation", "地方性法规"
    RULE = "rule", "规章"
    TECHNICAL_NORM = "technical-norm", "技术规范"
    NATIONAL_STANDARD = "national-standard", "国家标准"
    NORMATIVE_DOCUMENT = "normative-document", "规范性文件"


class SupervisionKind(LabelledEnum):
    """Category 2: which of the department's activities the information is about."""

    LICENSING = "licensing", "行政许可", "administrative licensing"
    INDUSTRY_MANAGEMENT = "industry-management", "行业管理"
    INDUSTRY_SUPERVISION = "industry-supervision", "行业监督"


class ExecutionStatus(LabelledEnum):
    """Category 4: 执行情况 of a penalty decision."""

    NOT_STARTED = "not-started", "未执行"
    IN_PROGRESS = "in-progress", "执行中"
    COMPLETED = "completed", "执行完毕"
    INSTALMENTS = "instalments", "延期或分期缴纳", "deferred or paid in instalments"
    COURT_ENFORCEMENT = (
        "court-enforcement",
        "申请人民法院强制执行",
        "court enforcement applied for",
    )
    SUSPENDED = "suspended", "中止执行"
    TERMINATED = "terminated", "终结执行"


class StatisticsPurpose(LabelledEnum):
    """Category 5: why the figures are provided (二(一) 5. names these needs)."""

    ANALYSIS = "analysis", "统计分析"
    INDUSTRY_MANAGEMENT = "industry-management", "行业管理"
    ARCHIVES = "archives", "档案管理"
    SUPERVISION_ASSESSMENT = "supervision-assessment", "上级督查考核"
    OTHER = "other", "其他"


class DiscretionKind(LabelledEnum):
    """Category 6."""

    BENCHMARK = "benchmark", "行政处罚自由裁量基准", "discretion benchmark"
    WORKFLOW = "workflow", "行政执法工作流程", "enforcement workflow"


class ComplaintKind(LabelledEnum):
    """Category 8."""

    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"


class ComplaintStatus(LabelledEnum):
    """Category 8: the handling status a platform reports (受理与处理情况)."""

    RECEIVED = "received", "已接收"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not-accepted", "不予受理"
    TRANSFERRED = "transferred", "已转办"
    IN_PROGRESS = "in-progress", "办理中"
    CONCLUDED = "concluded", "已办结"
    CLOSED = "closed", "已回访归档", "followed up and archived"


# Categories whose item needs a table (spreadsheet or CSV) before it is published.
NEEDS_TABLE = frozenset({Category.STATISTICS})
TABLE_TYPES = frozenset(
    {
        "text/csv",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)
