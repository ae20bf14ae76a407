"""Errors of the information sharing service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
)


class InfoError(AppError):
    """Root of the information sharing service's errors."""

    slug = "info-sharing-error"
    title = "The information sharing request cannot be processed"
    title_zh = "信息互享请求无法处理"


class ItemNotFound(InfoError, NotFound):
    """No such item, or one the caller may not see (never a hint that it exists)."""

    slug = "info-item-not-found"
    title = "No such information item"
    title_zh = "未找到该信息"


class InfoInvalidTransition(InfoError, InvalidTransition):
    """The step does not fit the item's state (a published item is not edited, …)."""

    slug = "info-invalid-transition"
    title = "This action is not allowed in the item's current state"
    title_zh = "信息当前状态下不允许此操作"


class AttachmentUnscreened(InfoError, InvalidInput):
    """INFO-02: a file whose text cannot be read (encrypted, a scan or an image, a legacy
    binary Office file, a file inside the file) is not stored unscreened: its uploader
    declares it holds no state secret (`classification=none`), or it is refused."""

    slug = "info-attachment-unscreened"
    title = "The file's text cannot be read to screen it; declare its classification"
    title_zh = "无法读取文件文字进行涉密审查，请声明该文件的密级"


class ClassifiedRefused(InfoError, InvalidInput):
    """INFO-02: information marked 绝密/机密/秘密 is not shared, and nothing of it is kept."""

    slug = "info-classified-refused"
    title = "State-secret information (绝密/机密/秘密) is not shared"
    title_zh = "涉及国家秘密（绝密、机密、秘密）的信息不予共享"


class PublisherNotAllowed(InfoError, Forbidden):
    """INFO-01: the notice names who produces each category."""

    slug = "info-publisher-not-allowed"
    title = "This organisation does not publish this category of information"
    title_zh = "本机构不发布此类信息"


class InfoInvalidInput(InfoError, InvalidInput):
    """The request cannot be acted on as it stands."""

    slug = "info-invalid-input"
    title = "The information request is not valid"
    title_zh = "信息互享请求内容无效"


class FeedbackNotRequested(InfoInvalidInput):
    """INFO-01 (4): a penalty decision is shared where the department concerned asked for it."""

    slug = "info-feedback-not-requested"
    title = "No department concerned asked for feedback on this matter"
    title_zh = "相关行政执法部门未要求反馈该事项的处罚决定"


class NotOwnMatter(InfoError, Forbidden):
    """INFO-01 (4): a department asks for feedback on the matters it owns."""

    slug = "info-not-own-matter"
    title = "A department asks for feedback only on matters it owns"
    title_zh = "行政执法部门只能就本部门的事项要求反馈"


class ThroughComplaintApi(InfoInvalidInput):
    """INFO-04: complaint records come from the complaint API, once per source record."""

    slug = "info-complaints-through-complaint-api"
    title = "Complaint records are posted to /complaints, not typed as items"
    title_zh = "投诉举报记录须通过 /complaints 接口报送，不能作为普通信息录入"


class TableMissing(InfoError, Conflict):
    """INFO-01 (5): statistics are shared with their table."""

    slug = "info-table-missing"
    title = "Statistics are published with a table attachment (xlsx, xls or csv)"
    title_zh = "统计分析数据须附数据表（xlsx、xls 或 csv）后才能发布"


class SupersedeConflict(InfoError, Conflict):
    """A newer version replaces the current version of the publisher's own item."""

    slug = "info-supersede-conflict"
    title = "This item cannot be replaced by a new version"
    title_zh = "该信息不能被新版本替代"


class TooManySubscriptions(InfoError, Conflict):
    """A bound on subscriptions per organisation keeps every publication's fan-out bounded."""

    slug = "info-too-many-subscriptions"
    title = "The organisation has reached its limit of subscriptions"
    title_zh = "本机构的订阅数量已达上限"


class AttachmentNotFound(InfoError, NotFound):
    slug = "info-attachment-not-found"
    title = "No such attachment"
    title_zh = "未找到该附件"
