"""INSP-02: the seeded, risk-weighted, reproducible draw of a plan round's targets. No I/O.

The service runs this draw in PostgreSQL (one statement over the whole register); this module
is its reference, word for word, so the rule can be read and tested without a database.

For each target, h = the first 60 bits of md5("<seed>:<target id>") as an integer. Within
each rule group (a type of target or a supervision level) the 守法诚信 targets and the others
are ranked separately:

- the others by (tier, h // (1 + risk), h, id): tier 0 for targets a signal added to the plan
  (a recorded adjustment), tier 1 for targets whose risk reaches the plan's targeting
  threshold, tier 2 for the rest. `h // (1 + risk)` is priority sampling (Duffield, Lund and
  Thorup): a target with more risk is drawn before a target with less far more often, and
  the seed still decides. Drawn: the forced tiers, and at least the rule's proportion;
- the 守法诚信 targets by (h, id): drawn only up to the plan's clean proportion
  (无事不扰) — a clean target beyond it is never drawn, whatever the seed. Clean is
  `targets.is_law_abiding` (an input here): never class C or D, never a target the platform
  has not watched for the whole clean period (max(supervised_since, registration)).

"At least p %" of n targets is ceil(n·p/100): the k-th ranked target is drawn when
(k − 1)·100 < n·p. Only integers and exact decimals are used, so the same inputs and seed
give the same list on every machine and every PostgreSQL version; a different seed gives
another list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ALGORITHM = "insp-02/md5-priority-v1"


def seed_hash(seed: str, target_id: str) -> int:
    """The first 60 bits of md5("<seed>:<id>") (what `('x'||substr(md5(..),1,15))::bit(60)::
    bigint` computes in PostgreSQL)."""
    return int(hashlib.md5(f"{seed}:{target_id}".encode()).hexdigest()[:15], 16)


def within_share(rank: int, pool: int, percent: Decimal) -> bool:
    """The `rank`-th of `pool` (1-based) is within ceil(pool·percent/100)."""
    return (rank - 1) * 100 < pool * percent


@dataclass(frozen=True)
class Candidate:
    """A target as the draw sees it on the day of the draw."""

    target_id: str
    rule_position: int
    proportion: Decimal
    risk: int
    clean: bool
    adjusted: bool = False


@dataclass(frozen=True)
class Ranked:
    target_id: str
    rule_position: int
    risk: int
    clean: bool
    tier: int
    draw_key: int
    rank: int
    drawn: bool


def tier_of(c: Candidate, threshold: int | None) -> int:
    if c.clean:
        return 2
    if c.adjusted:
        return 0
    if threshold is not None and c.risk >= threshold:
        return 1
    return 2


def draw(
    candidates: Iterable[Candidate],
    *,
    seed: str,
    clean_proportion: Decimal,
    threshold: int | None,
) -> list[Ranked]:
    """The ranked list of every candidate, with `drawn` set, ordered by group and rank."""
    pools: dict[tuple[int, bool], list[Candidate]] = {}
    for c in candidates:
        pools.setdefault((c.rule_position, c.clean), []).append(c)
    out: list[Ranked] = []
    for (position, clean), members in sorted(pools.items()):
        keyed = []
        for c in members:
            h = seed_hash(seed, c.target_id)
            tier = tier_of(c, threshold)
            keyed.append((tier, h // (1 + c.risk), h, c.target_id, c))
        keyed.sort(key=lambda k: (k[0], k[1], k[2], k[3]))
        forced = sum(1 for k in keyed if k[0] < 2)
        share = clean_proportion if clean else members[0].proportion
        for rank, (tier, key, _h, target_id, c) in enumerate(keyed, start=1):
            drawn = rank <= forced or within_share(rank, len(members), share)
            out.append(Ranked(target_id, position, c.risk, clean, tier, key, rank, drawn))
    return out


def drawn_ids(ranked: Sequence[Ranked]) -> list[str]:
    return [r.target_id for r in ranked if r.drawn]
