"""Errors of the secondment and guidance service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError


class SecondmentError(AppError):
    """Root of the secondment and guidance service's errors."""

    slug = "secondment-error"
    title = "The secondment and guidance request cannot be processed"
    title_zh = "下沉指导请求无法处理"
