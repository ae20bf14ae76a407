"""Errors of the oversight service: one root, one problem type per refusal.

Each class has its English `title` and the Chinese `title_zh` an overseer reads; every raise
gives its English detail and the Chinese `zh=`.
"""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, InvalidInput, NotFound


class OversightError(AppError):
    """Root of the oversight service's errors."""

    slug = "oversight-error"
    title = "The oversight request cannot be processed"
    title_zh = "无法处理该督察请求"


class InvalidPeriod(OversightError, InvalidInput):
    """SUP-02: the period does not parse, runs backwards or lies outside 2000–2100."""

    slug = "oversight-invalid-period"
    title = "The period is not valid"
    title_zh = "考核期间无效"


class NotVisible(OversightError, NotFound):
    """A unit asked for another unit's figures or ledger rows: the same 404 as for none."""

    slug = "oversight-not-found"
    title = "Not found"
    title_zh = "未找到"


class NotItsFact(OversightError, InvalidInput):
    """A service reported a deadline of another mechanism, or of a rule not its own: oversight
    trusts each service only about its own deadlines (a forged fact goes to the DLQ)."""

    slug = "oversight-fact-not-its-own"
    title = "The fact is not the reporting service's to report"
    title_zh = "该事实不属于报送服务"


class NotRulable(OversightError, Conflict):
    """SUP-01: only breaches, refusals, flags and unread items are ruled on (and replied to);
    a deadline started or met is not a fault to rule on."""

    slug = "oversight-not-rulable"
    title = "This fact is not one to rule on"
    title_zh = "该事实不属于督察认定范围"


class ReasonRequired(OversightError, InvalidInput):
    """SUP-01: an excuse (免责) states its reason, one the assessment can be checked against."""

    slug = "oversight-reason-required"
    title = "An excuse needs a stated reason"
    title_zh = "免责须说明理由"


class AlreadyReplied(OversightError, Conflict):
    """SUP-01: the organisation states its case (陈述申辩) once per fact, before the ruling."""

    slug = "oversight-already-replied"
    title = "The organisation has already replied, or the fact is already ruled on"
    title_zh = "已陈述申辩，或该事实已作出认定"


class RulingVersionRequired(OversightError):
    """SUP-01: a fact already ruled on is ruled on again only with `If-Match` naming the
    version read (its ETag), so that no ruling overwrites one its author has not seen."""

    status = 428
    slug = "oversight-if-match-required"
    title = "A revised ruling needs If-Match with the current version"
    title_zh = "变更认定须在 If-Match 中注明当前版本"


class RulingVersionStale(OversightError):
    """SUP-01: `If-Match` names a version that is no longer the current one."""

    status = 412
    slug = "oversight-ruling-changed"
    title = "The ruling has changed since it was read"
    title_zh = "认定已被他人变更，请重新读取"


class LedgerNotEmpty(OversightError, Conflict):
    """`xietong oversight rebuild` replays into an empty ledger only: replayed into one that
    holds facts, it would count nothing twice but could not show that it rebuilt them."""

    slug = "oversight-ledger-not-empty"
    title = "The ledger is not empty"
    title_zh = "督察台账不为空"


class NotItsCheckpoint(OversightError, InvalidInput):
    """SUP-01, the outsider: a service published a checkpoint of another service's audit
    chain; each service tells its own chain only (it goes to the DLQ)."""

    slug = "oversight-checkpoint-not-its-own"
    title = "The checkpoint is not of the reporting service's own audit chain"
    title_zh = "该审计检查点不属于报送服务自己的审计链"
