"""The hand-written migrations build exactly the tables the models describe; the OpenAPI
documents every route with its problems."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from joint_inspection.models import Base
from xietong_common.mechanisms.roster import roster_metadata
from xietong_common.tables import backbone_metadata

from .conftest import Insp

pytestmark = pytest.mark.integration

BACKBONE = {*backbone_metadata.tables, *roster_metadata.tables, "alembic_version"}


async def test_migrations_match_the_models(insp: Insp) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in BACKBONE)
            and not (d[0] == "remove_index" and d[1].table.name in BACKBONE)
        ]

    async with insp.svc.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


async def test_openapi_documents_every_route_with_its_problems(insp: Insp) -> None:
    spec = (await insp.client.get("/openapi.json")).json()
    tags = {
        "targets",
        "plans",
        "orders",
        "reports",
        "documents",
        "todo",
    }  # todo: every service (issue 24)
    routes = 0
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if op["tags"] == ["operations"]:
                continue
            routes += 1
            assert set(op["tags"]) <= tags, (method, path)
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            problem = op["responses"].get("422") or op["responses"]["404"]
            assert "Problem" in str(problem["content"]), (method, path)
            if method == "post" and op["responses"].get("201"):
                names = {p["name"] for p in op.get("parameters", [])}
                if "materials" not in path:
                    assert "Idempotency-Key" in names, (method, path)
    assert routes >= 45
    schemas = spec["components"]["schemas"]
    for name in (
        "TargetIn",
        "PlanIn",
        "OrderIn",
        "OutcomeIn",
        "OnSiteIn",
        "ConsultationIn",
        "NoticePolicyIn",
    ):
        assert "examples" in schemas[name], name
    assert schemas["OrderState"]["x-enum-labels"]["closed"]["zh"] == "已办结归档"
