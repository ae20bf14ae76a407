"""Issue 17: every malformed or hostile file uploaded as a review material (REV-04) is
refused with a problem type — never a 500 — and nothing of it is kept."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from xietong_devtools import files_corpus as corpus
from xietong_devtools.testing import RunningService

from .conftest import Flow

pytestmark = pytest.mark.integration


async def test_every_malformed_material_is_refused_and_nothing_is_stored(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()

    async def post(sample: corpus.Sample) -> Any:
        return await svc.client.post(
            f"/reviews/{review['id']}/materials",
            data={"kind": "evidence"},
            files={"file": sample.upload()},
            headers=flow.handler,
        )

    async def counts() -> tuple[int, int]:
        async with svc.ctx.db.session() as s:
            found = [
                (await s.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one()
                for t in ("review_materials", "audit_log")
            ]
        return int(found[0]), int(found[1])

    await corpus.refuses_every_malformed_file(
        post,
        counts=counts,
        blob_dir=svc.settings.blob_dir,
        samples=corpus.malformed_documents(),
        fuzz=corpus.Sample("证据.ofd", corpus.ofd(["现场检查笔录"]), "application/ofd"),
    )
