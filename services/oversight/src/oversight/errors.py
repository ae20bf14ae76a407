"""Errors of the oversight service: one root, one problem type per refusal.

Each class has its English `title` and the Chinese `title_zh` an overseer reads; every raise
gives its English detail and the Chinese `zh=`.
"""

from __future__ import annotations

from xietong_common.errors import AppError, InvalidInput, NotFound


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
