"""Issue 17: every malformed or hostile file sent as a case material (REF-05) is refused with
a problem type saying what is wrong — never a 500 — and nothing of it is kept; a fuzz step
mutates a valid file (seeded, bounded)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from xietong_devtools import files_corpus as corpus

pytestmark = pytest.mark.integration


async def test_every_malformed_material_is_refused_and_nothing_is_stored(
    case: Any, tmp_path: Any
) -> None:
    referral = await case.draft()

    async def post(sample: corpus.Sample) -> Any:
        return await case.svc.client.post(
            f"/referrals/{referral['id']}/materials",
            data={"kind": "letter"},
            files={"file": sample.upload()},
            headers=case.sender,
        )

    async def counts() -> tuple[int, ...]:
        async with case.svc.ctx.db.session() as s:
            materials = (
                await s.execute(sa.text("SELECT count(*) FROM referral_materials"))
            ).scalar_one()
        return (int(materials), *(await case.counts()))

    await corpus.refuses_every_malformed_file(
        post,
        counts=counts,
        blob_dir=case.svc.settings.blob_dir,
        samples=corpus.malformed_documents(),
        fuzz=corpus.Sample("函.pdf", corpus.pdf(["移送函", "某某化工有限公司"]), "application/pdf"),
    )
