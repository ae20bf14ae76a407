"""Case materials every mechanism keeps (REF-05, REV-04, INSP-07, ASSIST-02, INFO-01): an
uploaded file checked against the size limit while it streams in, inspected in a worker
process (what it really is, against what it declares and the route's allow-list, whether it
is whole: `xietong_common.files`), stored once by SHA-256, described by a safe file name,
recorded with the type detected from its bytes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import UploadFile

from xietong_common.blobs import (
    DEFAULT_ALLOWED_TYPES,
    FilesystemBlobStore,
    UploadPolicy,
    store_upload,
)
from xietong_common.context import ServiceContext
from xietong_common.files.extract import Screen
from xietong_common.files.inspection import Inspection

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\ud800-\udfff]")
MAX_FILENAME = 255


def safe_filename(name: str | None, fallback: str) -> str:
    """The client's file name without directories, control characters or lone surrogates,
    at most 255 characters; `fallback` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("", unicodedata.normalize("NFC", base)).strip().strip(".")
    return cleaned[:MAX_FILENAME] or fallback


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str  # detected from the bytes (and what the upload declared)
    filename: str
    inspection: Inspection | None = None


def blob_store(ctx: ServiceContext) -> FilesystemBlobStore:
    return FilesystemBlobStore(ctx.settings.blob_dir)


async def store_material(
    ctx: ServiceContext,
    upload: UploadFile,
    *,
    fallback: str,
    allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES,
    screen: Screen | None = None,
    accept: Callable[[Inspection], None] | None = None,
) -> StoredFile:
    """Check, inspect and store one uploaded file; nothing is kept if a check fails (see
    `blobs.store_upload` for `screen` and `accept`)."""
    stored = await store_upload(
        blob_store(ctx),
        upload,
        UploadPolicy(max_bytes=ctx.settings.max_upload_bytes, allowed_types=allowed_types),
        workers=ctx.files,
        screen=screen,
        accept=accept,
    )
    return StoredFile(
        sha256=stored.blob.sha256,
        size=stored.blob.size,
        content_type=stored.blob.content_type,
        filename=safe_filename(upload.filename, fallback),
        inspection=stored.inspection,
    )
