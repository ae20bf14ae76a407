"""Issue 17: every malformed or hostile file attached to an assistance request (ASSIST-01,
ASSIST-02) is refused with a problem type — never a 500 — and nothing of it is kept."""

from __future__ import annotations

from typing import Any

import pytest

from xietong_devtools import files_corpus as corpus

from .conftest import Assist

pytestmark = pytest.mark.integration


async def test_every_malformed_material_is_refused_and_nothing_is_stored(assist: Assist) -> None:
    request = await assist.draft()

    async def post(sample: corpus.Sample) -> Any:
        return await assist.svc.client.post(
            f"/assistance-requests/{request['id']}/materials",
            files={"file": sample.upload()},
            headers=assist.town,
        )

    await corpus.refuses_every_malformed_file(
        post,
        counts=assist.counts,
        blob_dir=assist.svc.settings.blob_dir,
        samples=corpus.malformed_documents(),
        fuzz=corpus.Sample("说明.docx", corpus.docx(["请协助取样检测"]), corpus.DOCX),
    )
