"""One error tree: every error a service raises on purpose, each with a stable problem `type`.

Pure (no web framework): domains raise these; `xietong_common.web.problems` renders them
as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

PROBLEM_BASE = "urn:xietong:problem:"
Lang = Literal["zh", "en"]


def problem_type(slug: str) -> str:
    return f"{PROBLEM_BASE}{slug}"


class AppError(Exception):
    """Root of every error a service raises on purpose."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    title_zh: ClassVar[str] = "请求有误"

    def __init__(self, detail: str, *, zh: str | None = None, **extensions: Any) -> None:
        """`detail` in English, `zh` the same in Chinese (what this district's users read by
        default); `extensions` become members of the problem (machine-readable)."""
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = zh
        self.extensions = extensions

    @classmethod
    def type_uri(cls) -> str:
        return problem_type(cls.slug)

    def to_problem(self, instance: str | None = None, *, lang: Lang = "zh") -> dict[str, Any]:
        """The RFC 9457 body in Chinese (default) or English; `type` never changes."""
        chinese = lang == "zh"
        body: dict[str, Any] = {
            "type": self.type_uri(),
            "title": self.title_zh if chinese else self.title,
            "status": self.status,
            "detail": (self.detail_zh or self.detail) if chinese else self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class InvalidInput(AppError):
    status = 422
    slug = "invalid-input"
    title = "The request is not valid"
    title_zh = "请求内容无效"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"
    title_zh = "需要身份认证"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this organisation or role"
    title_zh = "本机构或角色无权执行此操作"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"
    title_zh = "未找到"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"
    title_zh = "与当前状态冲突"


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = "This action is not allowed in the current state"
    title_zh = "当前状态下不允许此操作"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "The request or upload is too large"
    title_zh = "请求内容过大"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "This content type is not accepted"
    title_zh = "不接受此文件类型"
