"""The hand-written migrations build exactly the tables the models describe; the OpenAPI
documents every route with its problems."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from assistance.models import Base
from xietong_common.mechanisms.roster import roster_metadata
from xietong_common.tables import backbone_metadata

from .conftest import Assist

pytestmark = pytest.mark.integration

OTHERS = {*backbone_metadata.tables, *roster_metadata.tables, "alembic_version"}


async def test_migrations_match_the_models(assist: Assist) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in OTHERS)
            and not (d[0] == "remove_index" and d[1].table.name in OTHERS)
        ]

    async with assist.svc.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


async def test_openapi_documents_every_route_with_examples_and_problems(assist: Assist) -> None:
    spec = (await assist.svc.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        if not path.startswith("/assistance-requests"):
            continue
        for method, op in methods.items():
            assert op["tags"] == ["assistance"], (method, path)
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            problem = op["responses"].get("422") or op["responses"]["404"]
            assert "Problem" in str(problem["content"]), (method, path)
    for name in ("RequestCreate", "AcceptIn", "RefuseIn", "FlagIn", "OversightRow"):
        assert "examples" in schemas[name], name
    state = schemas["AssistanceState"]
    assert state["x-enum-labels"]["refused"]["zh"] == "不予协助"
    assert "Idempotency-Key" in str(spec["paths"]["/assistance-requests"]["post"]["parameters"])
