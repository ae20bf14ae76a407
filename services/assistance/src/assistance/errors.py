"""Errors of the enforcement assistance service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError


class AssistanceError(AppError):
    """Root of the enforcement assistance service's errors."""

    slug = "assistance-error"
    title = "The enforcement assistance request cannot be processed"
    title_zh = "执法协助请求无法处理"
