"""Content-addressed file store for case materials (REF-05, REV-04).

Files are stored once by SHA-256. An upload streams into a staging file (its size limit
counted while it streams in), is inspected there in a worker process — what it really is,
against what it declares and what the route accepts, whether it is whole
(`xietong_common.files`) — and is kept only then; a refused file leaves nothing behind.
The filesystem store is the default; the `BlobStore` protocol is what an S3-compatible
store implements (staging stays a local file).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xietong_common.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from xietong_common.files import types as file_types
from xietong_common.files.extract import Screen
from xietong_common.files.inspection import Inspection, UploadCheck, inspect_file
from xietong_common.files.limits import ReadLimits
from xietong_common.files.worker import FileWorkers

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


@dataclass
class Staged:
    """An upload written to a local staging file, not yet kept."""

    path: Path
    sha256: str
    size: int
    committed: bool = False


class BlobStore(Protocol):
    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredBlob: ...

    def staged(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> contextlib.AbstractAsyncContextManager[Staged]: ...

    async def commit(self, staged: Staged, *, content_type: str) -> StoredBlob: ...

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

    @contextlib.asynccontextmanager
    async def staged(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> AsyncIterator[Staged]:
        """The upload in a staging file beside the store (counted against `max_bytes` while
        it streams in); deleted on leaving unless `commit` kept it."""
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
            yield Staged(path=Path(tmp_name), sha256=digest.hexdigest(), size=size)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)  # already renamed into place when it was kept

    async def commit(self, staged: Staged, *, content_type: str) -> StoredBlob:
        target = self._path(staged.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        staged.committed = True
        return StoredBlob(sha256=staged.sha256, size=staged.size, content_type=content_type)

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredBlob:
        async with self.staged(chunks, max_bytes=max_bytes) as staged:
            return await self.commit(staged, content_type=content_type)

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
    """The declared type, if the route takes it (or a type it takes goes by that name, or
    the client declared none: the bytes decide then). Checked before a byte is stored."""
    kind = file_types.declared_kind(content_type)
    if (
        kind in policy.allowed_types
        or kind in file_types.UNDECLARED
        or any(
            kind in file_types.KNOWN[t].aliases
            for t in policy.allowed_types
            if t in file_types.KNOWN
        )
    ):
        return kind
    raise UnsupportedMediaType(
        f"files of type {kind or 'unknown'!r} are not accepted",
        zh=f"不接受类型为 {kind or '未知'} 的文件",
        allowed_types=sorted(policy.allowed_types),
    )


@dataclass(frozen=True)
class StoredUpload:
    """A file kept, with what its inspection found (`content_type` is the detected type)."""

    blob: StoredBlob
    inspection: Inspection


async def store_upload(
    store: BlobStore,
    upload: Upload,
    policy: UploadPolicy,
    *,
    workers: FileWorkers,
    limits: ReadLimits | None = None,
    screen: Screen | None = None,
    accept: Callable[[Inspection], None] | None = None,
) -> StoredUpload:
    """Check, inspect and store one multipart upload; nothing is kept if a check fails.

    The file's type is told from its bytes in a worker process and must be what the upload
    declares (its content type and the extension of its name) and one the route takes; the
    type recorded is the detected one. With `screen` (run in the worker over the file's
    text, INFO-02), `accept` sees the findings and refuses by raising, before the file is
    kept."""
    declared = check_content_type(upload.content_type, policy)
    async with store.staged(_upload_chunks(upload), max_bytes=policy.max_bytes) as staged:
        inspection = await workers.run(
            inspect_file,
            str(staged.path),
            UploadCheck(
                declared_type=declared,
                filename=upload.filename,
                allowed=policy.allowed_types,
                limits=limits or ReadLimits(),
            ),
            screen=screen,
        )
        if accept is not None:
            accept(inspection)
        blob = await store.commit(staged, content_type=inspection.media_type)
    return StoredUpload(blob=blob, inspection=inspection)
