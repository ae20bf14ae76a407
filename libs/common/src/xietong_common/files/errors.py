"""The refusals of a file: each a problem type of its own, in Chinese and English, saying
what is wrong with the file (never a 500, never a hanging request)."""

from __future__ import annotations

from typing import Any

from xietong_common.errors import AppError, InvalidInput, UnsupportedMediaType


class FileUnreadable(InvalidInput):
    """The file is damaged, truncated, encrypted or not what a file of its kind must be."""

    slug = "file-unreadable"
    title = "The file cannot be read"
    title_zh = "文件无法读取"

    def __init__(self, detail: str, *, zh: str, reason: str, **extensions: Any) -> None:
        super().__init__(detail, zh=zh, reason=reason, **extensions)


class FileOverLimits(InvalidInput):
    """Reading the file would pass a limit: rows, columns, cells, shared strings, expanded
    size, text, time or memory. Refused while reading, before the limit is spent."""

    slug = "file-over-limits"
    title = "The file is beyond what is read"
    title_zh = "文件超出读取限制"

    def __init__(self, detail: str, *, zh: str, limit: str, **extensions: Any) -> None:
        super().__init__(detail, zh=zh, limit=limit, **extensions)


class FileTypeMismatch(InvalidInput):
    """What the bytes are is not what the upload says it is (its content type or the
    extension of its name), or not a kind this route accepts."""

    slug = "file-type-mismatch"
    title = "The file is not of the type it claims"
    title_zh = "文件的实际类型与声明不符"


class FileTypeNotAccepted(UnsupportedMediaType):
    """The declared or detected type is outside the route's list."""

    slug = "unsupported-media-type"


Packed = tuple[type[AppError], str, str | None, dict[str, Any]]


def pack(error: AppError) -> Packed:
    """A refusal as a worker process sends it back (an exception's keywords do not survive
    pickling, its class, detail and extensions do this way)."""
    return type(error), error.detail, error.detail_zh, dict(error.extensions)


def unpack(packed: Packed) -> AppError:
    cls, detail, zh, extensions = packed
    error = cls.__new__(cls)
    AppError.__init__(error, detail, zh=zh, **extensions)
    return error
