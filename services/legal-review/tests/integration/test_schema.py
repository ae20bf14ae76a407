"""The hand-written migrations build exactly the tables the models describe."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from legal_review.models import Base
from xietong_common.tables import backbone_metadata
from xietong_devtools.testing import RunningService

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models(svc: RunningService) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in BACKBONE)
            and not (d[0] == "remove_index" and d[1].table.name in BACKBONE)
        ]

    async with svc.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


BACKBONE = {*backbone_metadata.tables, "alembic_version"}


async def test_openapi_documents_models_examples_tags_and_errors(svc: RunningService) -> None:
    spec = (await svc.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        if not path.startswith("/reviews"):
            continue
        for method, op in methods.items():
            assert op["tags"] == ["reviews"], (method, path)
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            assert ok.get("content"), (method, path)
            if path.endswith(".pdf"):  # official documents (REV-05/07): the PDF itself
                assert "application/pdf" in ok["content"], (method, path)
            elif path != "/reviews/{review_id}/materials/{material_id}/content":
                assert "$ref" in str(ok["content"]["application/json"]["schema"]), (method, path)
            problem = op["responses"].get("422") or op["responses"]["404"]
            assert "Problem" in str(problem["content"])
    opinion = spec["paths"]["/reviews/{review_id}/opinion"]["post"]
    assert {"403", "404", "409", "422"} <= set(opinion["responses"])
    upload = spec["paths"]["/reviews/{review_id}/materials"]["post"]
    assert {"413", "415"} <= set(upload["responses"])
    assert "examples" in schemas["SubmitIn"]
    assert "examples" in schemas["OpinionIn"]
    assert "examples" in schemas["TriggerCheckIn"]
    assert schemas["ReviewOut"]["properties"]["decision"]["anyOf"][0]["$ref"].endswith(
        "DecisionOut"
    )
