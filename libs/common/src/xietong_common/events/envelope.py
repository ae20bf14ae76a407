"""CloudEvents 1.0 structured-mode JSON envelope."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from xietong_common.events.registry import EventSpec

# Set per request (web middleware) and per handled event (inbox), so events carry
# the trace of whatever caused them (CloudEvents distributed-tracing extension).
trace_context: ContextVar[dict[str, str] | None] = ContextVar("xietong_trace", default=None)


def current_trace_context() -> dict[str, str]:
    return dict(trace_context.get() or {})


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope around a versioned event payload."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]
    traceparent: str | None = None
    tracestate: str | None = None
    requestid: str | None = None

    @classmethod
    def wrap(
        cls,
        event: BaseModel,
        *,
        spec: EventSpec,
        source: str,
        subject: str | None,
        time: datetime,
        trace: dict[str, str] | None = None,
    ) -> CloudEvent:
        trace = trace or {}
        return cls(
            source=source,
            type=spec.type,
            subject=subject,
            time=time,
            dataschema=f"urn:xietong:schema:{spec.topic}:v{spec.version}",
            data=event.model_dump(mode="json"),
            traceparent=trace.get("traceparent"),
            requestid=trace.get("requestid"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)

    @classmethod
    def from_kafka(cls, value: bytes, headers: Sequence[tuple[str, bytes]]) -> CloudEvent:
        """A record of either CloudEvents Kafka binding mode: structured (the whole event as
        JSON, `content-type: application/cloudevents+json`, what xietong publishes) or binary
        (attributes in `ce_*` headers and `data` as the value, what the official SDKs'
        `to_binary` produces)."""
        found = {k.lower(): v for k, v in headers}
        content_type = found.get("content-type", b"").decode("latin-1")
        if "ce_specversion" not in found or content_type.startswith("application/cloudevents"):
            return cls.from_bytes(value)
        attributes: dict[str, Any] = {
            key[3:]: raw.decode("utf-8") for key, raw in found.items() if key.startswith("ce_")
        }
        if content_type:
            attributes["datacontenttype"] = content_type
        attributes["data"] = json.loads(value)
        return cls.model_validate(attributes)


def kafka_headers(
    envelope: dict[str, Any], *, traceparent: str | None = None
) -> list[tuple[str, bytes]]:
    """Headers of a structured-mode record: its content type, and the CloudEvents attributes
    and trace context again as headers, so brokers' tooling and integrators can route and
    trace without parsing the value (CloudEvents Kafka binding, W3C trace context)."""
    headers = [("content-type", b"application/cloudevents+json")]
    for name in ("specversion", "id", "source", "type", "subject", "time", "dataschema"):
        if envelope.get(name) is not None:
            headers.append((f"ce_{name}", str(envelope[name]).encode()))
    # The span that published the record, when tracing is on; else the request's.
    parent = traceparent or envelope.get("traceparent")
    if parent:
        headers.append(("traceparent", str(parent).encode()))
    if envelope.get("tracestate"):
        headers.append(("tracestate", str(envelope["tracestate"]).encode()))
    return headers
