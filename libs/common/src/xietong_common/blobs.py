"""Content-addressed file store for case materials (REF-05, REV-04).

Files are stored once by SHA-256, checked against a size limit and a content-type
allow-list while they stream in. The filesystem store is the default; the `BlobStore`
protocol is what an S3-compatible store implements.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xietong_common.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType

CHUNK = 1 << 16

DEFAULT_ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "text/plain",
        "text/csv",  # statistics tables (INFO-01 category 5)
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/ofd",  # 版式文档, the national standard for official e-documents
        "audio/mpeg",
        "video/mp4",
    }
)


class Upload(Protocol):
    """A file handed in, however it came (a multipart part — FastAPI's `UploadFile` is one —,
    bytes carried by an event, a file a job found): its name and declared type as the sender
    gave them, and its bytes read in chunks. What use cases take; never a web type."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int = 50 * 1024 * 1024
    allowed_types: frozenset[str] = field(default=DEFAULT_ALLOWED_TYPES)


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    content_type: str


class BlobStore(Protocol):
    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredBlob: ...

    async def read(self, sha256: str) -> bytes: ...

    def stream(self, sha256: str) -> AsyncIterator[bytes]: ...

    async def exists(self, sha256: str) -> bool: ...


class FilesystemBlobStore:
    """Blobs under `root/ab/cd/<sha256>`; writes go to a temp file, then an atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound("no such file", zh="文件不存在")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(
                            f"the file is larger than the limit of {max_bytes} bytes",
                            zh=f"文件超过 {max_bytes} 字节的上限",
                            max_bytes=max_bytes,
                        )
                    digest.update(chunk)
                    await asyncio.to_thread(tmp.write, chunk)
            if size == 0:
                raise InvalidInput("the file is empty", zh="文件为空")
            sha = digest.hexdigest()
            target = self._path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            return StoredBlob(sha256=sha, size=size, content_type=content_type)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)  # already renamed into place when all went well

    async def read(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise NotFound("no such file", zh="文件不存在")
        return await asyncio.to_thread(path.read_bytes)

    async def stream(self, sha256: str) -> AsyncIterator[bytes]:
        """The file in chunks, for a download that never holds it whole in memory."""
        path = self._path(sha256)
        if not path.exists():
            raise NotFound("no such file", zh="文件不存在")
        with path.open("rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk

    async def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()


async def _upload_chunks(upload: Upload) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def check_content_type(content_type: str | None, policy: UploadPolicy) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in policy.allowed_types:
        raise UnsupportedMediaType(
            f"files of type {kind or 'unknown'!r} are not accepted",
            zh=f"不接受类型为 {kind or '未知'} 的文件",
            allowed_types=sorted(policy.allowed_types),
        )
    return kind


async def store_upload(store: BlobStore, upload: Upload, policy: UploadPolicy) -> StoredBlob:
    """Check and store one upload; nothing is kept if a check fails."""
    kind = check_content_type(upload.content_type, policy)
    return await store.put_stream(
        _upload_chunks(upload), content_type=kind, max_bytes=policy.max_bytes
    )
