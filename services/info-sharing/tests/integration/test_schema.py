"""The hand-written migration builds exactly the tables the models describe; the OpenAPI
documents every route with its problems."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from info_sharing.models import Base
from xietong_common.tables import backbone_metadata

from .conftest import Info

pytestmark = pytest.mark.integration

BACKBONE = {*backbone_metadata.tables, "alembic_version"}


async def test_migrations_match_the_models(info: Info) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in BACKBONE)
            and not (d[0] == "remove_index" and d[1].table.name in BACKBONE)
        ]

    async with info.svc.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


async def test_openapi_documents_routes_examples_and_problems(info: Info) -> None:
    spec = (await info.svc.client.get("/openapi.json")).json()
    ours = {p: m for p, m in spec["paths"].items() if p not in ("/healthz", "/readyz", "/metrics")}
    assert len(ours) >= 15
    for path, methods in ours.items():
        for method, op in methods.items():
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            assert op["tags"][0] in {
                "information",
                "complaints",
                "inbox",
                "feedback-requests",
                "oversight",
                "todo",  # GET /todo, the same in every service (issue 24)
            }
    create = spec["paths"]["/items"]["post"]
    assert {"403", "404", "409", "422"} <= set(create["responses"])
    assert "Idempotency-Key" in str(create["parameters"])
    assert {"413", "415"} <= set(spec["paths"]["/items/{item_id}/attachments"]["post"]["responses"])
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "category"
    assert len(body["discriminator"]["mapping"]) == 9
    schemas = spec["components"]["schemas"]
    assert "examples" in schemas["ComplaintIn"]
    assert "examples" in schemas["ItemOut"]
    assert schemas["CategoryOut"]["properties"]["value"]["$ref"].endswith("InfoCategory")
