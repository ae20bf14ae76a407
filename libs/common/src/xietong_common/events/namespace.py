"""Where one deployment's topics and consumer groups live on a broker others may share.

A namespace is a prefix put before every topic and consumer group a deployment uses on
Kafka (`XIETONG_KAFKA_NAMESPACE`, empty by default): `staging.case.referred` and
`case.referred` never meet, and neither do a test session and the developer's `make run`
on one local broker. The contracts, the outbox rows and the inbox keep the logical names
(`case.referred`); only the Kafka clients see the prefixed ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kafka's own alphabet for topic names ([a-zA-Z0-9._-], at most 249); the prefix leaves room.
NAMESPACE_PATTERN = r"^[A-Za-z0-9._-]{0,100}$"


@dataclass(frozen=True)
class Namespace:
    """A deployment's prefix on the broker ('' : the broker's plain names)."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(NAMESPACE_PATTERN, self.prefix):
            raise ValueError(
                f"a Kafka namespace is at most 100 of [A-Za-z0-9._-], not {self.prefix!r}"
            )

    def topic(self, name: str) -> str:
        """The topic's name on the broker."""
        return self.prefix + name

    def group(self, name: str) -> str:
        """A consumer group's name on the broker."""
        return self.prefix + name

    def logical(self, physical: str) -> str | None:
        """The contract's name of a topic on the broker, or None if it is another namespace's."""
        if not physical.startswith(self.prefix):
            return None
        return physical[len(self.prefix) :]
