"""Case materials every mechanism keeps (REF-05, REV-04, INSP-07, ASSIST-02, INFO-01, SEC-05).

One way, in four steps, for every material table:

    stored = await store_material(ctx, upload, fallback="letter.bin")     # checked, by SHA-256
    material, added = await add_material(
        uow, ReferralMaterial(referral_id=r.id, kind="letter", title=title or stored.filename),
        stored, by=actor, claim=Claim(MATERIAL_SCOPE, idempotency_key, {"referral_id": ...}),
    )
    ...
    MaterialOut.of(material, kind_zh=...)                                  # the response

`store_material` is the one place bytes are stored: the size limit is enforced while the
upload streams in; the file is then inspected in a worker process (what it really is, against
what it declares and the route's allow-list, whether it is whole: `xietong_common.files`),
stored once by SHA-256 under a safe file name and recorded with the type detected from its
bytes; nothing is kept if a check fails. A use case takes the `Upload` port (a name, a
declared type, bytes read in chunks), never a web framework's type, so a consumed event or a
job can add a material through it too.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from xietong_common import idempotency
from xietong_common.blobs import (
    DEFAULT_ALLOWED_TYPES,
    FilesystemBlobStore,
    Upload,
    UploadPolicy,
    store_upload,
)
from xietong_common.context import ServiceContext
from xietong_common.errors import AppError, NotFound
from xietong_common.files.extract import Screen
from xietong_common.files.inspection import Inspection
from xietong_common.schemas import View

if TYPE_CHECKING:
    from xietong_common.auth import Actor
    from xietong_common.uow import UnitOfWork

__all__ = [
    "BytesUpload",
    "Claim",
    "MaterialColumns",
    "MaterialOut",
    "StoredFile",
    "Upload",
    "add_material",
    "blob_store",
    "material_of",
    "safe_filename",
    "store_material",
]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\ud800-\udfff]")
MAX_FILENAME = 255


def safe_filename(name: str | None, fallback: str) -> str:
    """The client's file name without directories, control characters or lone surrogates,
    at most 255 characters; `fallback` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("", unicodedata.normalize("NFC", base)).strip().strip(".")
    return cleaned[:MAX_FILENAME] or fallback


class BytesUpload:
    """An `Upload` held in memory: bytes an event carried, a file a job built, a test's file."""

    def __init__(
        self, data: bytes, *, filename: str | None = None, content_type: str | None = None
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self._data = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


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
    upload: Upload,
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


# ---- the row of a material table --------------------------------------------------------------


class MaterialColumns:
    """The columns every material table has (a declarative mixin: `class ReferralMaterial(
    MaterialColumns, Base)`): the stored file and who uploaded it when. The table adds its
    owner's key and its own columns (a kind, a title, the uploading organisation)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    filename: Mapped[str] = mapped_column(sa.Text)
    content_type: Mapped[str] = mapped_column(sa.Text)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.Text)
    uploaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(sa.Text)


M = TypeVar("M", bound=MaterialColumns)


@dataclass(frozen=True)
class Claim:
    """An upload's Idempotency-Key: a retry with the same key and the same file (and `request`)
    returns the row the first upload recorded; the same key with another file is refused."""

    scope: str
    key: str | None
    request: Mapping[str, Any] = field(default_factory=dict)


async def add_material(
    uow: UnitOfWork,
    material: M,
    stored: StoredFile,
    *,
    by: Actor,
    claim: Claim | None = None,
) -> tuple[M, bool]:
    """Record `stored` as `material` (a new row with its table's own columns set). Returns the
    row and True, or — when `claim` finds a retry — the row the first upload recorded and
    False (then nothing else is to be done: it was audited the first time)."""
    if claim is not None:
        replay = await idempotency.claim(
            uow,
            scope=claim.scope,
            org=by.org,
            key=claim.key,
            request={**claim.request, "sha256": stored.sha256},
        )
        if replay is not None:
            first = await uow.session.get(type(material), uuid.UUID(replay))
            if first is None:
                raise NotFound("no such material", zh="未找到该材料")
            return first, False
    material.id = material.id or uuid.uuid4()
    material.filename = stored.filename
    material.content_type = stored.content_type
    material.size = stored.size
    material.sha256 = stored.sha256
    material.uploaded_at = uow.now
    material.uploaded_by = by.user
    uow.session.add(material)
    await uow.session.flush()
    if claim is not None:
        await idempotency.remember(
            uow, scope=claim.scope, org=by.org, key=claim.key, resource_id=str(material.id)
        )
    return material, True


async def material_of(
    session: AsyncSession,
    model: type[M],
    material_id: uuid.UUID,
    *owner: sa.ColumnElement[bool],
    not_found: type[AppError] = NotFound,
) -> M:
    """The material `material_id` of the record `owner` names (`ReviewMaterial.review_id ==
    review.id`), for a download; `not_found` ("no such material") when it is not that
    record's, so an id of another record's file tells nothing."""
    query = sa.select(model).where(cast("Any", model).id == material_id, *owner)
    material = (await session.execute(query)).scalar_one_or_none()
    if material is None:
        raise not_found("no such material", zh="未找到该材料")
    return material


class MaterialOut(View):
    """A stored material as every API shows it (`MaterialOut.of(row)`); a service's subclass
    adds its own fields (a kind, a title)."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
