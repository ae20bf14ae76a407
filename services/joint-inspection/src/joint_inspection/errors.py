"""Errors of the joint inspection service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError


class InspectionError(AppError):
    """Root of the joint inspection service's errors."""

    slug = "joint-inspection-error"
    title = "The joint inspection request cannot be processed"
    title_zh = "综合查一次请求无法处理"
