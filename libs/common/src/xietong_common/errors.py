"""One error tree: every error a service raises on purpose, each with a stable problem `type`.

Pure (no web framework): domains raise these; `xietong_common.web.problems` renders them
as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "urn:xietong:problem:"


def problem_type(slug: str) -> str:
    return f"{PROBLEM_BASE}{slug}"


class AppError(Exception):
    """Root of every error a service raises on purpose."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    @classmethod
    def type_uri(cls) -> str:
        return problem_type(cls.slug)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri(),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class InvalidInput(AppError):
    status = 422
    slug = "invalid-input"
    title = "The request is not valid"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this organisation or role"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = "This action is not allowed in the current state"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "The upload is too large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "This content type is not accepted"
