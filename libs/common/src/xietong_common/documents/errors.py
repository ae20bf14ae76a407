"""The refusals of the document facility, each with its problem type."""

from __future__ import annotations

from xietong_common.errors import Conflict, Forbidden, NotFound


class DocumentNotAvailable(Conflict):
    """The record has not reached the act the document records (no receipt before receipt)."""

    slug = "document-not-available"
    title = "The record has no such document in its current state"
    title_zh = "该记录当前状态下没有此公文"


class DocumentNotIssued(Conflict):
    """Only the issuing organisation issues its document; the others read it once issued."""

    slug = "document-not-issued"
    title = "The issuing organisation has not issued this document yet"
    title_zh = "发文机关尚未出具此公文"


class DocumentIssuerIncomplete(Conflict):
    """The organisation directory lacks what a document's 版头 and number need."""

    slug = "document-issuer-incomplete"
    title = "The organisation directory lacks the issuer's full name or 发文机关代字"
    title_zh = "机构名录缺少发文机关全称或发文机关代字"


class DocumentNotFound(NotFound):
    slug = "document-not-found"
    title = "No document with this digest"
    title_zh = "未找到该公文"


class NotTheIssuer(Forbidden):
    slug = "document-not-the-issuer"
    title = "Only the issuing organisation corrects its document"
    title_zh = "只有发文机关可以更正其公文"
