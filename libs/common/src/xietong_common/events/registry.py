"""Registry of event types: CloudEvents `type` ↔ pydantic model ↔ Kafka topic."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from pydantic import BaseModel


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

    def topic_configs(self, topic: str) -> dict[str, str] | None:
        """The topic configuration `ensure_topics` creates `topic` with (None: the broker's)."""
        configs: dict[str, str] = {}
        if self.compacted(topic):
            configs["cleanup.policy"] = "compact"
        if self.retained(topic):
            configs |= {"retention.ms": "-1", "retention.bytes": "-1"}
        return configs or None

    def topics(self) -> list[str]:
        return sorted({s.topic for s in self._by_type.values()})


registry = EventRegistry()
