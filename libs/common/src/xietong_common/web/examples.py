"""Schema examples a gateway can take as they are: each a whole, valid instance.

A response model's example is written for what matters in it (a referral's state, its
parties); spelling out the other forty fields by hand would bury that, and go stale the day
a field is added. So the OpenAPI document completes each component's examples: every
required property left out is filled from its own field example, else the example of the
model it refers to, else its default, else null where it may be null, an empty list, or a
plain value of its type. What the example says stays; tests/test_contracts.py validates
every example of every document against its schema."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 8
_FORMATS = {
    "date-time": "2024-03-01T02:00:00Z",
    "date": "2024-03-01",
    "uuid": "6a1f0e1c-5b7d-4a8e-8c55-3f8f2f8b4d22",
    "email": "officer@example.gov.cn",
    "uri": "https://xietong.example.gov.cn/",
}


def complete_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Complete the examples of every component schema of the document (in place)."""
    schemas = document.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        if isinstance(schema.get("examples"), list):
            schema["examples"] = [
                _complete(example, schema, schemas, 0) for example in schema["examples"]
            ]
    return document


def _deref(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return dict(schemas.get(ref.rsplit("/", 1)[1], {}))
    return schema


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return list(schema.get("anyOf") or schema.get("oneOf") or [])


def _complete(value: Any, schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Any:
    schema = _deref(schema, schemas)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        if "properties" not in schema:
            objects = [b for b in map(lambda b: _deref(b, schemas), _branches(schema))]
            objects = [b for b in objects if "properties" in b]
            if len(objects) != 1:
                return value
            schema = objects[0]
        properties = schema.get("properties", {})
        done = dict(value)
        for name in schema.get("required", []):
            if name not in done:
                done[name] = _filler(properties.get(name, {}), schemas, depth + 1)
        return {
            name: _complete(item, properties[name], schemas, depth + 1)
            if name in properties
            else item
            for name, item in done.items()
        }
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            array = [b for b in _branches(schema) if isinstance(b.get("items"), dict)]
            items = array[0]["items"] if len(array) == 1 else None
        if isinstance(items, dict):
            return [_complete(item, items, schemas, depth + 1) for item in value]
    return value


def _filler(schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Any:
    """A value for a required property the example left out."""
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return _complete(schema["examples"][0], schema, schemas, depth)
    if "default" in schema:
        return schema["default"]
    branches = _branches(schema)
    if any(b.get("type") == "null" for b in branches):
        return None
    if "$ref" in schema:
        target = _deref(schema, schemas)
        if isinstance(target.get("examples"), list) and target["examples"]:
            return _complete(target["examples"][0], target, schemas, depth)
        return _filler(target, schemas, depth)
    if branches:
        return _filler(_deref(branches[0], schemas), schemas, depth)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return []
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        minimum = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return int(minimum) if kind == "integer" else float(minimum)
    if kind == "string":
        return _FORMATS.get(str(schema.get("format")), "示例")
    if kind == "object" or "properties" in schema:
        return _complete({}, schema, schemas, depth)
    return None
