"""The hand-written migrations build exactly the tables the models describe; the OpenAPI
documents every route with its problems."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from secondment.models import Base
from xietong_common.tables import backbone_metadata

from .conftest import Svc

pytestmark = pytest.mark.integration
BACKBONE = {*backbone_metadata.tables, "alembic_version"}


async def test_migrations_match_the_models(svc: Svc) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in BACKBONE)
            and not (d[0] == "remove_index" and d[1].table.name in BACKBONE)
        ]

    async with svc.run.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


async def test_openapi_documents_every_route(svc: Svc) -> None:
    spec = (await svc.client.get("/openapi.json")).json()
    tags = {"teams", "rosters", "officers", "eligibility", "guidance", "todo"}  # issue 24
    ours = {
        p: m
        for p, m in spec["paths"].items()
        if not p.startswith(("/healthz", "/readyz", "/metrics"))
    }
    assert len(ours) >= 18
    for path, methods in ours.items():
        for method, op in methods.items():
            assert set(op["tags"]) <= tags, (method, path)
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            assert any(k.startswith("2") for k in op["responses"]), (method, path)
            if method in ("post", "patch"):
                assert {"401", "403", "422"} <= set(op["responses"]), (method, path)
    schemas = spec["components"]["schemas"]
    for name in ("TeamCreate", "GuidanceCreate", "PersonnelUpdate", "TeamOut", "EligibilityOut"):
        assert "examples" in schemas[name], name
    upload = spec["paths"]["/rosters/imports"]["post"]
    assert {"200", "201", "413"} <= set(upload["responses"])
    assert "x-enum-labels" in schemas["SecondmentMode"]
