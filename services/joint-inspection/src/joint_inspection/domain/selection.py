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

Commit, then reveal (an outsider can check the draw). When a round is committed (round 1 when
the plan is adopted, each next round when the one before is drawn) the register is frozen: one
`SnapshotEntry` per candidate, hashed by `snapshot_digest` (canonical JSON, SHA-256), and the
service makes the round's seed and records only `seed_commitment(seed)` (its SHA-256) in the
signed audit chain. The draw reveals the seed and runs on the frozen snapshot. With the
export, anyone checks, with this module alone: sha256(seed) is the commitment, the snapshot
hashes to the committed digest, and `draw` over it gives the published ranked list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

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


# ---- commit, then reveal ------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The one text of a JSON value: keys sorted, no spaces, UTF-8 characters as they are."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seed_commitment(seed: str) -> str:
    """What is published before the draw: SHA-256 of the seed (hex). The seed itself is
    revealed at the draw; a seed that hashes to the commitment is the one fixed before."""
    return hashlib.sha256(seed.encode()).hexdigest()


@dataclass(frozen=True)
class SnapshotEntry:
    """One target of the register as frozen when the round was committed: its class (industry
    and credit-supervision level) and its risk inputs (the signals' weight within the risk
    window, whether a signal falls in the clean period, since when it is watched)."""

    target_id: str
    industry: str
    level: str
    watched_since: str
    risk: int
    recent_signal: bool
    clean: bool

    def line(self) -> str:
        return canonical_json(asdict(self))


def snapshot_digest(header: Mapping[str, Any], entries: Iterable[SnapshotEntry]) -> str:
    """SHA-256 (hex) of the header's canonical JSON and one canonical JSON line per entry in
    target id order, each followed by a newline."""
    text = canonical_json(dict(header)) + "\n"
    text += "".join(e.line() + "\n" for e in sorted(entries, key=lambda e: e.target_id))
    return hashlib.sha256(text.encode()).hexdigest()


def is_clean(entry: SnapshotEntry, *, clean_from: str, never_clean: Iterable[str]) -> bool:
    """守法诚信 from the frozen inputs (as `targets.is_law_abiding` judges it)."""
    return (
        entry.level not in set(never_clean)
        and entry.watched_since <= clean_from
        and not entry.recent_signal
    )


def group_of(entry: SnapshotEntry, basis: str) -> str:
    """What the plan's rules are set by: the industry or the supervision level."""
    return entry.industry if basis == "industry" else entry.level


def rule_for(
    entry: SnapshotEntry, rules: Sequence[Mapping[str, Any]], *, basis: str, round_number: int
) -> Mapping[str, Any] | None:
    """The plan rule a target falls under in a round: its own group's, else the catch-all
    (value null); a rule whose frequency is below the round does not draw in it."""
    live = [r for r in rules if int(r["frequency"]) >= round_number]
    value = group_of(entry, basis)
    own = next((r for r in live if r["value"] == value), None)
    return own or next((r for r in live if r["value"] is None), None)


def candidates_of(
    entries: Iterable[SnapshotEntry],
    *,
    rules: Sequence[Mapping[str, Any]],
    basis: str,
    round_number: int,
    adjusted: Iterable[str] = (),
) -> list[Candidate]:
    """The draw's candidates from the frozen snapshot and the plan's rules at the draw."""
    forced = set(adjusted)
    out = []
    for e in entries:
        rule = rule_for(e, rules, basis=basis, round_number=round_number)
        if rule is None:
            continue
        out.append(
            Candidate(
                e.target_id,
                int(rule["position"]),
                Decimal(str(rule["proportion"])),
                e.risk,
                e.clean,
                e.target_id in forced,
            )
        )
    return out


# ---- the inspectors (双随机: the second random draw) ----------------------------------------------


def pool_digest(*, order_id: str, count: int, pool: Sequence[str], seed_commitment: str) -> str:
    """SHA-256 (hex) of the frozen inspector pool: the order, how many are drawn, the eligible
    officers left after recusals (sorted) and the seed's commitment, as canonical JSON."""
    return hashlib.sha256(
        canonical_json(
            {
                "order_id": order_id,
                "count": count,
                "pool": sorted(pool),
                "seed_commitment": seed_commitment,
            }
        ).encode()
    ).hexdigest()


def rank_officers(seed: str, pool: Iterable[str]) -> list[str]:
    """The pool in draw order: by the seed's hash of each officer id (then the id). The first
    `count` are drawn; if one of them cannot serve, the next one takes his place."""
    return sorted(pool, key=lambda officer: (seed_hash(seed, officer), officer))
