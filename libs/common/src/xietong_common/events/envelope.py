"""CloudEvents 1.0 structured-mode JSON envelope."""

from __future__ import annotations

import uuid
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
