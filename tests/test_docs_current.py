"""docs/events.md and docs/asyncapi.yaml say what the contracts say."""

from __future__ import annotations

import subprocess
import sys


def test_event_docs_are_generated_from_the_current_contracts() -> None:
    # A fresh process, so only the real contracts are registered (tests register test events).
    result = subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", "docs", "--check"],
        capture_output=True,
        text=True,
        # no timeout of its own: building eight apps takes 10 s quiet and 90 s on a busy box;
        # the suite's per-test bound (pyproject, pytest-timeout) still ends a hang
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    """Validated offline against the official AsyncAPI 3.0.0 schema (docs/schemas)."""
    import json
    from pathlib import Path

    import jsonschema
    import yaml

    docs = Path(__file__).resolve().parents[1] / "docs"
    schema = json.loads((docs / "schemas" / "asyncapi-3.0.0.json").read_text())
    document = yaml.safe_load((docs / "asyncapi.yaml").read_text())
    jsonschema.validate(document, schema)
    channels = document["channels"]
    assert all(f"{c}_dlq" in channels for c in channels if not c.endswith("_dlq"))
    assert document["servers"]["integrators"]["protocol"] == "kafka-secure"


def test_openapi_documents_and_their_3_0_renderings_are_valid() -> None:
    """Issue 25: beside each service's OpenAPI 3.1 document, an OpenAPI 3.0 rendering for the
    tools that import 3.0 best (docs/openapi/3.0/<service>.json, written by `xietong docs`
    and kept current by the test above); both validated by openapi-spec-validator against
    the specification's own schemas, and the rendering holds no 3.1-only word."""
    import json
    from pathlib import Path

    import pytest
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    from xietong_common.services import SERVICES

    docs = Path(__file__).resolve().parents[1] / "docs" / "openapi"
    assert {p.stem for p in (docs / "3.0").glob("*.json")} == set(SERVICES)

    def words(node: object, parent: str = "") -> set[str]:
        """The keywords of every schema (not property names, not named examples)."""
        found: set[str] = set()
        if isinstance(node, dict):
            for key, value in node.items():
                if parent not in ("properties", "examples", "paths", "schemas", "responses"):
                    found.add(key)
                found |= words(value, key)
        elif isinstance(node, list):
            for value in node:
                found |= words(value, parent)
        return found

    for service in SERVICES:
        newer = json.loads((docs / f"{service}.json").read_text())
        older = json.loads((docs / "3.0" / f"{service}.json").read_text())
        OpenAPIV31SpecValidator(newer).validate()
        OpenAPIV30SpecValidator(older).validate()
        assert older["openapi"] == "3.0.3"
        assert older["paths"].keys() == newer["paths"].keys()
        operations = [
            (op["operationId"], sorted(op["responses"]))
            for item in older["paths"].values()
            for op in item.values()
        ]
        assert operations == [
            (op["operationId"], sorted(op["responses"]))
            for item in newer["paths"].values()
            for op in item.values()
        ]
        text = json.dumps(older["components"]["schemas"])
        assert '"type": "null"' not in text
        assert not {"const", "contentMediaType", "propertyNames"} & words(older)
        assert '"nullable": true' in text

    # The validator is not a formality: the 3.1 document called 3.0 is refused.
    with pytest.raises(OpenAPIValidationError):
        OpenAPIV30SpecValidator({**newer, "openapi": "3.0.3"}).validate()


def test_the_3_0_rendering_of_a_schema_says_what_3_1_says() -> None:
    from xietong_common.cli.openapi30 import schema_30

    optional_ref = {"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]}
    assert schema_30({**optional_ref, "description": "d"}) == {
        "allOf": [{"$ref": "#/components/schemas/X"}],
        "description": "d",
        "nullable": True,
    }
    assert schema_30(
        {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "default": None}
    ) == {"type": "string", "maxLength": 5, "default": None, "nullable": True}
    assert schema_30({"type": "integer", "exclusiveMinimum": 0, "examples": [3, 4]}) == {
        "type": "integer",
        "minimum": 0,
        "exclusiveMinimum": True,
        "example": 3,
    }
    assert schema_30({"const": "a"}) == {"enum": ["a"]}
    assert schema_30({"type": "string", "contentMediaType": "application/octet-stream"}) == {
        "type": "string",
        "format": "binary",
    }
    assert schema_30({"$ref": "#/x", "description": "d"}) == {
        "allOf": [{"$ref": "#/x"}],
        "description": "d",
    }
    assert schema_30({"type": "object", "properties": {"examples": {"const": 1}}}) == {
        "type": "object",
        "properties": {"examples": {"enum": [1]}},
    }
