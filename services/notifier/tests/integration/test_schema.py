"""The hand-written migrations build exactly the tables the models describe; the OpenAPI
documents every operation with its problems and examples."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from notifier.models import Base
from xietong_common.tables import backbone_metadata
from xietong_devtools.testing import RunningService

pytestmark = pytest.mark.integration

BACKBONE = {*backbone_metadata.tables, "alembic_version"}


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


async def test_openapi_documents_models_examples_tags_and_errors(svc: RunningService) -> None:
    spec = (await svc.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        if not path.startswith(("/subscriptions", "/deliveries")):
            continue
        for method, op in methods.items():
            assert op["tags"][0] in ("subscriptions", "deliveries"), (method, path)
            assert op.get("summary"), (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            problem = op["responses"].get("422") or op["responses"]["404"]
            assert "Problem" in str(problem["content"])
    assert "examples" in schemas["SubscriptionCreate"]
    assert "examples" in schemas["SubscriptionUpdate"]
