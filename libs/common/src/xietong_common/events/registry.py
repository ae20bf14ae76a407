"""Registry of event types: CloudEvents `type` ↔ pydantic model ↔ Kafka topic."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from pydantic import BaseModel

# 400 days: a year's assessment (SUP-02) can be rebuilt from the broker well into the next.
ACCOUNTABILITY_RETENTION_DAYS = 400
DAY_MS = 24 * 3600 * 1000
ACCOUNTABILITY_RETENTION_MS = ACCOUNTABILITY_RETENTION_DAYS * DAY_MS


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass(frozen=True)
class EventSpec:
    type: str
    topic: str
    version: int
    model: builtins.type[BaseModel]  # an IntegrationEvent (xietong_common.contracts)
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    summary: str
    compacted: bool = False
    retained: bool = False  # never deleted: retention.ms = retention.bytes = -1
    # kept at least the accountability retention (SUP-01/02: a year's assessment rebuilt)
    accountability: bool = False


class EventRegistry:
    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec] = {}
        self._by_model: dict[type[BaseModel], EventSpec] = {}

    def register(self, spec: EventSpec) -> None:
        existing = self._by_type.get(spec.type)
        if existing is not None and existing.model is not spec.model:
            raise ValueError(f"event type {spec.type} registered twice")
        self._by_type[spec.type] = spec
        self._by_model[spec.model] = spec

    def spec_for(self, model: type[BaseModel]) -> EventSpec:
        try:
            return self._by_model[model]
        except KeyError:
            raise KeyError(f"{model.__name__} is not a registered event") from None

    def spec_for_type(self, event_type: str) -> EventSpec | None:
        return self._by_type.get(event_type)

    def all(self) -> list[EventSpec]:
        return sorted(self._by_type.values(), key=lambda s: (s.topic, s.version))

    def compacted(self, topic: str) -> bool:
        """Whether the topic keeps only the latest event per key (log compaction)."""
        return any(s.compacted for s in self._by_type.values() if s.topic == topic)

    def retained(self, topic: str) -> bool:
        """Whether the topic keeps every event forever (evidence, e.g. audit checkpoints)."""
        return any(s.retained for s in self._by_type.values() if s.topic == topic)

    def accountable(self, topic: str) -> bool:
        """Whether oversight holds units to account with the topic's events, so it keeps them
        at least the accountability retention (`XIETONG_ACCOUNTABILITY_RETENTION_DAYS`)."""
        return any(s.accountability for s in self._by_type.values() if s.topic == topic)

    def accountability_topics(self) -> list[str]:
        return sorted({s.topic for s in self._by_type.values() if s.accountability})

    def retention_ms(self, topic: str, *, accountability_ms: int) -> int | None:
        """The least `retention.ms` the topic must have: -1 (never delete) for a retained
        topic, `accountability_ms` for an accountability topic, None: the broker's default."""
        if self.retained(topic):
            return -1
        if self.accountable(topic):
            return accountability_ms
        return None

    def topic_configs(
        self, topic: str, *, accountability_ms: int = ACCOUNTABILITY_RETENTION_MS
    ) -> dict[str, str] | None:
        """The topic configuration `ensure_topics` creates `topic` with (None: the broker's)."""
        configs: dict[str, str] = {}
        if self.compacted(topic):
            configs["cleanup.policy"] = "compact"
        retention = self.retention_ms(topic, accountability_ms=accountability_ms)
        if retention is not None:
            # Time alone decides what is deleted: never the size of the log.
            configs |= {"retention.ms": str(retention), "retention.bytes": "-1"}
        return configs or None

    def topics(self) -> list[str]:
        return sorted({s.topic for s in self._by_type.values()})


registry = EventRegistry()
