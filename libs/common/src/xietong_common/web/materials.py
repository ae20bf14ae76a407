"""Downloading a stored material: streamed, with its type and its (Chinese) file name."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import StreamingResponse

from xietong_common.context import ServiceContext
from xietong_common.errors import NotFound
from xietong_common.materials import MaterialColumns, blob_store

# A file is served as the type its bytes were found to be (PDF, image, text, OOXML...), so the
# response may be any media type.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the stored file, served as the type its content was found to be",
    }
}


async def download(
    ctx: ServiceContext, *, sha256: str, content_type: str, filename: str
) -> StreamingResponse:
    store = blob_store(ctx)
    if not await store.exists(sha256):
        raise NotFound("the stored file is missing", zh="所存文件缺失")
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        store.stream(sha256),
        media_type=content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


async def stream_material(ctx: ServiceContext, material: MaterialColumns) -> StreamingResponse:
    """A material row's stored file, under the file name it was uploaded with."""
    return await download(
        ctx,
        sha256=material.sha256,
        content_type=material.content_type,
        filename=material.filename,
    )
