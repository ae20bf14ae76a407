"""Base of every integration event and the decorator that registers it with its topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from xietong_common.events.registry import EventSpec, registry


class ContractModel(BaseModel):
    """A part of an event payload (a party, a case summary)."""

    # Consumers ignore fields they do not know, so producers can add fields in a version.
    model_config = ConfigDict(frozen=True, extra="ignore")


class IntegrationEvent(ContractModel):
    """A past-tense fact one service tells the others. Payload of a CloudEvent."""

    spec: ClassVar[EventSpec]


E = TypeVar("E", bound=type[IntegrationEvent])


def event(
    topic: str,
    *,
    version: int = 1,
    producers: tuple[str, ...],
    consumers: tuple[str, ...] = (),
    summary: str = "",
    compacted: bool = False,
    retained: bool = False,
    accountability: bool = False,
) -> Callable[[E], E]:
    """Register an event model: `@event("case.referred", producers=("referral",))`.

    `compacted`: each event states the whole present of its key (a team's roster), so the
    topic is log-compacted and keeps the latest event per key for new consumers.
    `retained`: the events are evidence (audit checkpoints), so the topic never deletes any
    (retention.ms = retention.bytes = -1).
    `accountability`: the events are what oversight (SUP-01/02) holds units to account with
    (deadline facts, refusals, flags), so the topic keeps them at least
    `XIETONG_ACCOUNTABILITY_RETENTION_DAYS` (400 days by default), long enough to rebuild a
    year's assessment from the broker; applied to existing topics when a service starts."""

    def register(cls: E) -> E:
        spec = EventSpec(
            type=f"xietong.{topic}.v{version}",
            topic=topic,
            version=version,
            model=cls,
            producers=producers,
            consumers=consumers,
            summary=summary or (cls.__doc__ or "").strip().splitlines()[0],
            compacted=compacted,
            retained=retained,
            accountability=accountability,
        )
        cls.spec = spec
        registry.register(spec)
        return cls

    return register
