"""Errors of the information sharing service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError


class InfoError(AppError):
    """Root of the information sharing service's errors."""

    slug = "info-sharing-error"
    title = "The information sharing request cannot be processed"
    title_zh = "信息互享请求无法处理"
