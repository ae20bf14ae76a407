"""Case materials every mechanism keeps (REF-05, REV-04, INSP-07, ASSIST-02, INFO-01): an
uploaded file checked against the size limit and the content-type allow-list while it
streams in, stored once by SHA-256, described by a safe file name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fastapi import UploadFile

from xietong_common.blobs import FilesystemBlobStore, UploadPolicy, store_upload
from xietong_common.context import ServiceContext

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
    content_type: str
    filename: str


def blob_store(ctx: ServiceContext) -> FilesystemBlobStore:
    return FilesystemBlobStore(ctx.settings.blob_dir)


async def store_material(ctx: ServiceContext, upload: UploadFile, *, fallback: str) -> StoredFile:
    """Check and store one uploaded file; nothing is kept if a check fails."""
    blob = await store_upload(
        blob_store(ctx), upload, UploadPolicy(max_bytes=ctx.settings.max_upload_bytes)
    )
    return StoredFile(
        sha256=blob.sha256,
        size=blob.size,
        content_type=blob.content_type,
        filename=safe_filename(upload.filename, fallback),
    )
