"""The OpenAPI 3.0 rendering of a service's 3.1 document (docs/openapi/3.0/<service>.json):
Java generators and many API gateways and tools still import 3.0 best (issue 25).

Pure: a 3.1 document in, a 3.0.3 document out, saying the same wherever 3.0 can:

- `anyOf: [X, {"type": "null"}]` (an optional value) becomes X with `nullable: true`
  (`allOf: [X]` where X is a reference, since 3.0 reads nothing beside a `$ref`);
- a schema's `examples` list becomes its one `example` (the first);
- `const` becomes a one-value `enum`; a numeric `exclusiveMinimum`/`exclusiveMaximum`
  becomes the bound with the boolean flag;
- an uploaded file (`contentMediaType`) becomes `format: binary`;
- what 3.0 has no word for is left out: `propertyNames` (the key's own schema: the
  description says which keys), `$schema`, `$id`, `$defs`, the info's `summary` and the
  licence's `identifier`.

Media-type and parameter `examples` (named Example objects) are 3.0 already and stay.
"""

from __future__ import annotations

import copy
from typing import Any

OPENAPI_30 = "3.0.3"
_NULL = {"type": "null"}
_DROPPED = ("propertyNames", "$schema", "$id", "$defs", "contentEncoding")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def schema_30(schema: Any) -> Any:
    """A JSON Schema (2020-12, as OpenAPI 3.1 has it) as an OpenAPI 3.0 Schema Object."""
    if not isinstance(schema, dict):
        return schema
    s = {k: v for k, v in schema.items() if k not in _DROPPED}
    if isinstance(s.get("properties"), dict):
        s["properties"] = {name: schema_30(sub) for name, sub in s["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(s.get(key), dict):
            s[key] = schema_30(s[key])
    for key in _SUBSCHEMA_LISTS:
        if isinstance(s.get(key), list):
            s[key] = [schema_30(sub) for sub in s[key]]
    if "examples" in s:
        examples = s.pop("examples")
        if isinstance(examples, list) and examples and "example" not in s:
            s["example"] = examples[0]
    if "const" in s:
        s["enum"] = [s.pop("const")]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(s.get(bound), int | float) and not isinstance(s[bound], bool):
            s[flag] = s[bound]
            s[bound] = True
    if "contentMediaType" in s:
        s.pop("contentMediaType")
        s.setdefault("format", "binary")
    if isinstance(s.get("type"), list):
        types = [t for t in s["type"] if t != "null"]
        if len(types) < len(s["type"]):
            s["nullable"] = True
        s["type"] = types[0] if len(types) == 1 else s["type"]
    if isinstance(s.get("anyOf"), list) and _NULL in s["anyOf"]:
        s = _nullable(s)
    if "$ref" in s and len(s) > 1:
        s = {"allOf": [{"$ref": s.pop("$ref")}], **s}
    return s


def _nullable(s: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` → X, nullable (the schema's own words — title, description,
    default, example — kept beside it)."""
    others = [sub for sub in s.pop("anyOf") if sub != _NULL]
    if len(others) == 1:
        only = others[0]
        if "$ref" in only:
            return {"allOf": [only], **s, "nullable": True}
        return {**only, **s, "nullable": True}
    return {"anyOf": others, **s, "nullable": True}


def _content(content: dict[str, Any]) -> None:
    for media in content.values():
        if isinstance(media, dict) and "schema" in media:
            media["schema"] = schema_30(media["schema"])


def _parameters(parameters: list[Any]) -> None:
    for parameter in parameters:
        if isinstance(parameter, dict) and "schema" in parameter:
            parameter["schema"] = schema_30(parameter["schema"])


def _responses(responses: dict[str, Any]) -> None:
    for response in responses.values():
        if not isinstance(response, dict):
            continue
        _content(response.get("content", {}))
        for header in response.get("headers", {}).values():
            if isinstance(header, dict) and "schema" in header:
                header["schema"] = schema_30(header["schema"])


def document_30(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0.3 rendering of an OpenAPI 3.1 document (the input is not changed)."""
    out = copy.deepcopy(document)
    out["openapi"] = OPENAPI_30
    for key in ("webhooks", "jsonSchemaDialect"):
        out.pop(key, None)
    info = out.get("info", {})
    info.pop("summary", None)
    if isinstance(info.get("license"), dict):
        info["license"].pop("identifier", None)
    for item in out.get("paths", {}).values():
        _parameters(item.get("parameters", []))
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _parameters(operation.get("parameters", []))
            _content(operation.get("requestBody", {}).get("content", {}))
            _responses(operation["responses"])
    components = out.get("components", {})
    components["schemas"] = {k: schema_30(v) for k, v in components.get("schemas", {}).items()}
    _parameters(list(components.get("parameters", {}).values()))
    _responses(components.get("responses", {}))
    for body in components.get("requestBodies", {}).values():
        _content(body.get("content", {}))
    for header in components.get("headers", {}).values():
        if "schema" in header:
            header["schema"] = schema_30(header["schema"])
    return out
