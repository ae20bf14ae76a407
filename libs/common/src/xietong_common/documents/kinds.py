"""The written acts of the notice that the platform renders as official documents (公文).

One table for the whole platform, because a 发文字号 is the issuing organisation's 代字, the
kind's 代字 and a serial (`涪环移〔2026〕12号`): two kinds sharing a 代字 would give an
organisation two documents with one number. Each kind is issued by one mechanism (its
service keeps the number series in its own database); `tests` hold the 代字 unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from xietong_common.labels import LabelledEnum


class DocumentKind(LabelledEnum):
    """公文的种类: the documents the notice requires in writing."""

    REFERRAL_LETTER = "referral-letter", "案件移送函", "referral letter (REF-05)"
    SERVICE_RECEIPT = (
        "service-receipt",
        "行政案件移送书送达回证",
        "service receipt of the referral (REF-06)",
    )
    ACCEPTANCE_ANSWER = (
        "acceptance-answer",
        "案件受理情况告知书",
        "written answer on acceptance (REF-07)",
    )
    JURISDICTION_REPORT = (
        "jurisdiction-report",
        "关于案件管辖的请示",
        "written report to the district government on jurisdiction (REF-08)",
    )
    REVIEW_OPINION = "opinion", "法制审核意见书", "written legal-review opinion (REV-07)"
    MATERIALS_NOTICE = (
        "materials-notice",
        "补正材料通知书",
        "one-time notice of missing materials (REV-05)",
    )
    ASSISTANCE_REQUEST = "request-letter", "执法协助函", "letter requesting assistance (ASSIST-01)"
    ASSISTANCE_REFUSAL = (
        "refusal-notice",
        "不予协助告知书",
        "notice of refusal to assist, with reasons (ASSIST-03)",
    )
    WORK_ORDER = "work-order", "检查任务工单", "inspection work order (INSP-03)"
    ADVANCE_NOTICE = "advance-notice", "行政执法检查事先告知书", "advance notice (INSP-06)"
    SERIOUS_REPORT = (
        "serious-report",
        "关于检查发现严重违法行为（重大隐患）的报告",
        "report of a serious finding (INSP-08)",
    )

    @property
    def spec(self) -> KindSpec:
        return KINDS[self]


@dataclass(frozen=True)
class KindSpec:
    """How a kind is numbered, which rule requires it, who issues it, how it is laid out."""

    mark: str  # the kind's 代字 in the 发文字号: 涪环「移」〔2026〕12号
    rule: str
    mechanism: str
    layout: str = "letter"  # "letter": 版头, title, 主送, body; "form": a titled table
    verification_qr: bool = False  # a QR code to GET /documents/{digest} on the paper


KINDS: dict[DocumentKind, KindSpec] = {
    DocumentKind.REFERRAL_LETTER: KindSpec("移", "REF-05", "referral"),
    DocumentKind.SERVICE_RECEIPT: KindSpec(
        "回", "REF-06", "referral", layout="form", verification_qr=True
    ),
    DocumentKind.ACCEPTANCE_ANSWER: KindSpec("复", "REF-07", "referral"),
    DocumentKind.JURISDICTION_REPORT: KindSpec("请", "REF-08", "referral"),
    DocumentKind.REVIEW_OPINION: KindSpec("审", "REV-07", "legal-review"),
    DocumentKind.MATERIALS_NOTICE: KindSpec("补", "REV-05", "legal-review"),
    DocumentKind.ASSISTANCE_REQUEST: KindSpec("协", "ASSIST-01", "assistance"),
    DocumentKind.ASSISTANCE_REFUSAL: KindSpec("告", "ASSIST-03", "assistance"),
    DocumentKind.WORK_ORDER: KindSpec("查", "INSP-03", "joint-inspection", layout="form"),
    DocumentKind.ADVANCE_NOTICE: KindSpec("通", "INSP-06", "joint-inspection"),
    DocumentKind.SERIOUS_REPORT: KindSpec("报", "INSP-08", "joint-inspection"),
}
