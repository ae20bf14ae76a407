"""After the load: the ledger against every service's database, the topics and the
consumers' effects.

For each kind of operation the ledger holds (`ledger.Kind`), an accepted operation is

- **ok**: everything it must have caused exists, once, in time;
- **lost**: something it must have caused does not exist (a row, an event on its topic, a
  consumer's effect);
- **duplicated**: something exists twice (two referrals for one Idempotency-Key, two events
  with different ids for one fact, two drafts for one opinion);
- **late**: all there once, but an event reached its topic, or a consumer applied it, more
  than `grace_s` (a minute) after it was accepted or, if it was in transit during faults,
  after the system recovered from the last of them (`recovered`).

Unacknowledged operations (no answer came) are counted as *applied* or *not applied*; both
are fine, twice is not. The same event delivered again with the same id (a relay killed
after Kafka acknowledged it, a consumer killed before its offset commit) is a redelivery,
not a duplicate: the consumers' inbox makes it a no-op, and the count is reported.

Besides the ledger, every committed outbox row of every service must be published and on
its topic, and nothing the run's services published may sit in a dead-letter topic.

When oversight runs, its ledger (SUP-02) is counted against the producers: every event a
producer committed to its outbox on a topic oversight keeps facts of must have been handled
by oversight, and the deadline facts those events tell must each be in oversight's ledger
once, with nothing beside them (`OversightCount`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from xietong_common.events.registry import dlq_topic
from xietong_devtools.faults.cluster import Cluster, consumed_topics
from xietong_devtools.faults.ledger import Entry, Kind, Ledger

# What each kind publishes, and the topic of it.
TOPIC_OF = {
    Kind.REFERRAL_SENT: "case.referred",
    Kind.OPINION_TRANSFER: "review.opinion",
    Kind.REVIEW_DECIDED: "review.decided",
    Kind.ASSISTANCE_REQUESTED: "assistance.requested",
    Kind.ROSTER_CHANGED: "secondment.roster-changed",
}
MARKER = re.compile(r"（([0-9a-f]{12})）")


@dataclass(frozen=True)
class Window:
    """A fault, from when it began to when the system was back (what was hurt answers)."""

    name: str
    started_at: float
    recovered_at: float


def recovered(at: float, delivered: float, windows: Sequence[Window]) -> float:
    """From when a delivery is owed: what was accepted at `at` and delivered at `delivered`
    was in transit during every fault that began before the delivery and ended after the
    acceptance; it is owed from the last of their recoveries (or from `at` if none)."""
    ends = [w.recovered_at for w in windows if w.started_at < delivered and w.recovered_at > at]
    return max([at, *ends])


@dataclass
class Record:
    event_id: str
    subject: str | None
    data: dict[str, Any]
    at: float  # the record's timestamp on the topic (when the relay sent it)


@dataclass
class Topics:
    """Every record of the topics read, by topic; redeliveries (same event id) counted."""

    events: dict[str, dict[str, Record]] = field(default_factory=dict)
    redelivered: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)


@dataclass
class Row:
    """Counts of one kind."""

    accepted: int = 0
    retried: int = 0  # accepted on a retry, the first attempt's answer lost
    ok: int = 0
    lost: int = 0
    duplicated: int = 0
    late: int = 0
    unacked_applied: int = 0
    unacked_not_applied: int = 0
    slowest_s: float = 0.0  # the longest delivery after acceptance, or after the recovery
    # from the faults it was in transit through


@dataclass
class Report:
    rows: dict[Kind, Row]
    problems: list[str]
    outbox_rows: int
    outbox_unpublished: int
    outbox_not_on_topic: int
    redelivered: int
    dead_letters: int
    settled_in_s: float
    oversight: OversightCount | None = None  # when oversight ran

    @property
    def failed(self) -> bool:
        return (
            any(r.lost or r.duplicated for r in self.rows.values())
            or self.outbox_unpublished > 0
            or self.outbox_not_on_topic > 0
            or self.dead_letters > 0
            or (self.oversight is not None and self.oversight.failed)
        )

    def lines(self) -> list[str]:
        head = (
            f"{'kind':<22} {'accepted':>8} {'retried':>7} {'ok':>6} {'lost':>5} {'dup':>5}"
            f" {'late':>5} {'unacked:applied':>16} {'not applied':>12} {'slowest':>8}"
        )
        out = [head, "-" * len(head)]
        for kind, r in self.rows.items():
            slowest = f"{r.slowest_s:.1f}s" if kind in TOPIC_OF else "-"
            out.append(
                f"{kind.value:<22} {r.accepted:>8} {r.retried:>7} {r.ok:>6} {r.lost:>5} {r.duplicated:>5} "
                f"{r.late:>5} {r.unacked_applied:>16} {r.unacked_not_applied:>12} {slowest:>8}"
            )
        out.append("")
        out.append(
            f"outbox: {self.outbox_rows} rows committed, {self.outbox_unpublished} unpublished, "
            f"{self.outbox_not_on_topic} missing from their topic; "
            f"{self.redelivered} redelivered with the same id (the inbox ignores them); "
            f"{self.dead_letters} dead-lettered; settled {self.settled_in_s:.0f}s after the load"
        )
        if self.oversight is not None:
            out.append(self.oversight.line())
        out.extend(f"problem: {p}" for p in self.problems)
        return out


async def _fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def unpublished(cluster: Cluster) -> int:
    total = 0
    for service in cluster.databases:
        rows = await _fetch(
            cluster.database_url(service), "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        total += int(rows[0][0])
    return total


async def partitions_of(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    """The partitions of those of `topics` (names on the broker) that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = sorted(set(topics) & existing)
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    )


async def consumer_lag(cluster: Cluster) -> int:
    """Events on the consumed topics not yet committed by the run's consumer groups."""
    namespace = cluster.servers.namespace
    bootstrap = cluster.servers.bootstrap
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        lag = 0
        for service in cluster.databases:
            topics = consumed_topics(service)
            if not topics:
                continue
            partitions = await partitions_of(bootstrap, (namespace.topic(t) for t in topics))
            if not partitions:
                continue
            group = cluster.group(service)
            committed = await admin.list_consumer_group_offsets(group)
            ends = await probe.end_offsets(partitions)
            starts = await probe.beginning_offsets(partitions)
            for tp in partitions:
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else starts[tp]
                lag += max(ends[tp] - position, 0)
        return lag
    finally:
        await probe.stop()
        await admin.close()


async def settle(cluster: Cluster, *, timeout_s: float) -> float:
    """Wait until every outbox is published and every consumer has caught up (or the bound
    passes: whatever has not arrived by then counts as lost). Returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if await unpublished(cluster) == 0 and await consumer_lag(cluster) == 0:
                break
        except Exception:  # a server still coming back
            pass
        await asyncio.sleep(1)
    return time.monotonic() - started


async def read_topics(cluster: Cluster, topics: Iterable[str]) -> Topics:
    """Every record of `topics` (logical names) and of their dead-letter twins."""
    namespace = cluster.servers.namespace
    consumer = AIOKafkaConsumer(
        bootstrap_servers=cluster.servers.bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    found = Topics()
    try:
        wanted = sorted(set(topics))
        physical = {namespace.topic(t): t for t in wanted}
        physical |= {namespace.topic(dlq_topic(t)): dlq_topic(t) for t in wanted}
        partitions = await partitions_of(cluster.servers.bootstrap, physical)
        if not partitions:
            return found
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for tp, records in batch.items():
                logical = physical[tp.topic]
                for record in records:
                    _take(found, logical, record)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return found


def _take(found: Topics, topic: str, record: Any) -> None:
    try:
        envelope = json.loads(record.value)
        event_id = str(envelope["id"])
    except (ValueError, KeyError, TypeError):
        return  # not an event of ours (another test's poison on a shared namespace)
    if topic.endswith(".dlq"):
        found.dead_letters[event_id] += 1
        return
    events = found.events.setdefault(topic, {})
    if event_id in events:
        found.redelivered[topic] += 1
        return
    events[event_id] = Record(
        event_id=event_id,
        subject=envelope.get("subject"),
        data=envelope.get("data") or {},
        at=record.timestamp / 1000,
    )


# The topics of oversight's ledger facts whose facts are counted one by one: a deadline's
# fact is `<deadline_id>:<kind>` (the breach alert and the lifecycle's breach are one).
DEADLINE_TOPICS = ("deadline.lifecycle", "deadline.breached")
NOT_LEDGER_FACTS = ("audit.checkpoint",)  # the outsider's: judged, not kept as facts


def ledger_topics() -> list[str]:
    """The topics whose events oversight keeps as ledger facts."""
    return [t for t in consumed_topics("oversight") if t not in NOT_LEDGER_FACTS]


def deadline_fact_key(topic: str, data: dict[str, Any]) -> str:
    """The fact a deadline event tells, as oversight's ledger keys it."""
    kind = "breached" if topic == "deadline.breached" else str(data.get("kind"))
    return f"{data.get('deadline_id')}:{kind}"


@dataclass
class ProducedFact:
    """An event a producer committed to its outbox, on a topic of oversight's ledger."""

    service: str
    topic: str
    event_id: str
    data: dict[str, Any]


@dataclass
class OversightCount:
    """Oversight's ledger against the producers (SUP-02)."""

    producers: list[str] = field(default_factory=list)
    events: int = 0  # committed by the producers on the ledger's topics
    handled: int = 0  # of those, in oversight's inbox
    facts_owed: int = 0  # the distinct deadline facts those events tell
    facts_held: int = 0  # the deadline facts in oversight's ledger from those producers
    lost: int = 0  # events not handled, and facts owed not held
    duplicated: int = 0  # facts held twice, or held and owed by no producer's event
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicated)

    def line(self) -> str:
        return (
            f"oversight's ledger: {self.events} fact events committed by "
            f"{', '.join(self.producers) or 'no producer'}, {self.handled} handled; "
            f"{self.facts_owed} deadline facts owed, {self.facts_held} held; "
            f"{self.lost} lost, {self.duplicated} duplicated"
        )


def count_oversight(
    produced: Sequence[ProducedFact],
    handled: dict[str, float],
    held: Sequence[tuple[str, str]],
) -> OversightCount:
    """`produced`: the producers' events on the ledger's topics; `handled`: oversight's
    inbox (event id → when); `held`: oversight's deadline facts, (source, fact_key)."""
    count = OversightCount(producers=sorted({p.service for p in produced}))
    owed: set[tuple[str, str]] = set()
    for p in produced:
        count.events += 1
        if p.event_id in handled:
            count.handled += 1
        else:
            count.lost += 1
            count.problems.append(f"oversight never handled {p.topic} {p.event_id} of {p.service}")
        if p.topic in DEADLINE_TOPICS:
            owed.add((p.service, deadline_fact_key(p.topic, p.data)))
    held_count = Counter(h for h in held if h[0] in count.producers)
    count.facts_owed, count.facts_held = len(owed), sum(held_count.values())
    for source, key in sorted(owed - set(held_count)):
        count.lost += 1
        count.problems.append(f"oversight's ledger lacks {key} of {source}")
    for (source, key), n in sorted(held_count.items()):
        if (source, key) not in owed:
            count.duplicated += 1
            count.problems.append(f"oversight's ledger holds {key} of {source}, owed by no event")
        elif n > 1:
            count.duplicated += 1
            count.problems.append(f"oversight's ledger holds {key} of {source} {n} times")
    return count


async def read_oversight(cluster: Cluster) -> OversightCount | None:
    """Oversight's ledger counted against the other services of the run (None without
    oversight)."""
    if "oversight" not in cluster.databases:
        return None
    topics = ledger_topics()
    produced: list[ProducedFact] = []
    for service in cluster.databases:
        if service == "oversight":
            continue
        rows = await _fetch(
            cluster.database_url(service),
            "SELECT topic, event_id::text AS event_id, envelope->'data' AS data FROM outbox "
            "WHERE topic = ANY($1::text[])",
            topics,
        )
        produced.extend(
            ProducedFact(service, r["topic"], r["event_id"], json.loads(r["data"] or "{}"))
            for r in rows
        )
    url = cluster.database_url("oversight")
    inbox = await _fetch(url, "SELECT event_id::text AS event_id FROM inbox")
    held = await _fetch(
        url, "SELECT source, fact_key FROM ledger_facts WHERE kind LIKE 'deadline.%'"
    )
    return count_oversight(
        produced,
        {str(r["event_id"]): 0.0 for r in inbox},
        [(r["source"], r["fact_key"]) for r in held],
    )


@dataclass
class Databases:
    """What the reconciliation reads from the services' databases."""

    referral_markers: Counter[str] = field(default_factory=Counter)
    referral_drafts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    review_numbers: Counter[str] = field(default_factory=Counter)
    assistance_markers: Counter[str] = field(default_factory=Counter)
    info_items: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    teams_by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    projections: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    handled: dict[str, dict[str, float]] = field(default_factory=dict)  # service → event → at
    outbox: list[tuple[str, str, str, bool]] = field(default_factory=list)  # service, topic, id


def _ts(value: datetime) -> float:
    return value.timestamp()


async def read_databases(cluster: Cluster) -> Databases:
    """What the run's services hold (a run of some of the services reads only theirs)."""
    db = Databases()
    url = cluster.database_url
    running = set(cluster.databases)
    if "referral" in running:
        for row in await _fetch(
            url("referral"), "SELECT facts, source_kind, source_id, created_at FROM referrals"
        ):
            if match := MARKER.search(row["facts"] or ""):
                db.referral_markers[match.group(1)] += 1
            if row["source_kind"] == "review-opinion" and row["source_id"]:
                db.referral_drafts[row["source_id"]].append(_ts(row["created_at"]))
    if "legal-review" in running:
        for row in await _fetch(url("legal-review"), "SELECT case_number FROM reviews"):
            db.review_numbers[row["case_number"]] += 1
    if "assistance" in running:
        for row in await _fetch(url("assistance"), "SELECT needed FROM assistance_requests"):
            if match := MARKER.search(row["needed"] or ""):
                db.assistance_markers[match.group(1)] += 1
    if "info-sharing" in running:
        for row in await _fetch(
            url("info-sharing"),
            "SELECT source_id, created_at FROM items WHERE source_kind = 'review-decided'",
        ):
            db.info_items[row["source_id"]].append(_ts(row["created_at"]))
    if "secondment" in running:
        for row in await _fetch(
            url("secondment"), "SELECT DISTINCT team_id, name FROM team_versions"
        ):
            db.teams_by_name[row["name"]].add(str(row["team_id"]))
    for service in sorted(running & {"joint-inspection", "assistance"}):
        rows = await _fetch(url(service), "SELECT team_id, version FROM roster_versions")
        db.projections[service] = {(r["team_id"], int(r["version"])) for r in rows}
    for service in cluster.databases:
        rows = await _fetch(url(service), "SELECT event_id, handled_at FROM inbox")
        db.handled[service] = {r["event_id"]: _ts(r["handled_at"]) for r in rows}
        rows = await _fetch(
            url(service), "SELECT topic, event_id, published_at IS NOT NULL AS done FROM outbox"
        )
        db.outbox.extend((service, r["topic"], str(r["event_id"]), r["done"]) for r in rows)
    return db


class Reconciler:
    def __init__(
        self,
        ledger: Ledger,
        topics: Topics,
        db: Databases,
        windows: Sequence[Window],
        grace_s: float,
    ) -> None:
        self.ledger = ledger
        self.topics = topics
        self.db = db
        self.windows = windows
        self.grace_s = grace_s
        self.problems: list[str] = []
        # Events by what they are about, for the kinds the ledger holds.
        self.by_fact: dict[tuple[str, str], list[Record]] = defaultdict(list)
        for topic, events in topics.events.items():
            for record in events.values():
                for fact in _facts(topic, record):
                    self.by_fact[(topic, fact)].append(record)

    def events(self, kind: Kind, fact: str) -> list[Record]:
        return self.by_fact.get((TOPIC_OF[kind], fact), [])

    def effects(self, entry: Entry) -> tuple[int, int, float | None]:
        """(missing, doubled, delivered_at) of what `entry` must have caused."""
        kind, ref, d = entry.kind, entry.ref, entry.detail
        db = self.db
        if kind is Kind.REFERRAL_CREATED:
            return _once(db.referral_markers[ref])
        if kind is Kind.REVIEW_SUBMITTED:
            return _once(db.review_numbers[ref])
        if kind is Kind.REFERRAL_SENT:
            return self._published(kind, ref)
        if kind is Kind.ASSISTANCE_REQUESTED:
            missing, doubled, _ = _once(db.assistance_markers[ref])
            if not d.get("id"):
                return missing + 1, doubled, None
            events = self._published(kind, str(d["id"]))
            return missing + events[0], doubled + events[1], events[2]
        if kind is Kind.OPINION_TRANSFER:
            missing, doubled, at = self._published(kind, ref)
            drafts = db.referral_drafts.get(f"{ref}:1", [])
            return self._consumed(missing, doubled, at, drafts, "referral", kind, ref)
        if kind is Kind.REVIEW_DECIDED:
            missing, doubled, at = self._published(kind, ref)
            items = db.info_items.get(ref, [])
            return self._consumed(missing, doubled, at, items, "info-sharing", kind, ref)
        if kind is Kind.ROSTER_CHANGED:
            return self._roster(entry)
        raise ValueError(kind)

    def _published(self, kind: Kind, fact: str) -> tuple[int, int, float | None]:
        records = self.events(kind, fact)
        if not records:
            return 1, 0, None
        return 0, len(records) - 1, min(r.at for r in records)

    def _consumed(
        self,
        missing: int,
        doubled: int,
        at: float | None,
        effects: list[float],
        consumer: str,
        kind: Kind,
        fact: str,
    ) -> tuple[int, int, float | None]:
        if not effects:
            return missing + 1, doubled, None
        handled = [
            self.db.handled[consumer][r.event_id]
            for r in self.events(kind, fact)
            if r.event_id in self.db.handled.get(consumer, {})
        ]
        delivered = [*handled, *effects, *([at] if at is not None else [])]
        return missing, doubled + len(effects) - 1, max(delivered)

    def _roster(self, entry: Entry) -> tuple[int, int, float | None]:
        d = entry.detail
        team, version = d.get("team"), d.get("version")
        if team is None or version is None:  # a lost answer: was the team made at all?
            teams = self.db.teams_by_name.get(str(d.get("name")), set())
            if not teams:
                return 1, 0, None
            team, version = next(iter(teams)), 1
            if len(teams) > 1:
                return 0, len(teams) - 1, None
        fact = f"{team}:{version}"
        missing, doubled, at = self._published(Kind.ROSTER_CHANGED, fact)
        latest = at
        records = self.events(Kind.ROSTER_CHANGED, fact)
        for consumer in ("joint-inspection", "assistance"):
            if (str(team), int(version)) not in self.db.projections.get(consumer, set()):
                missing += 1
                continue
            handled = [self.db.handled.get(consumer, {}).get(r.event_id) for r in records]
            seen = [h for h in handled if h is not None]
            if seen and latest is not None:
                latest = max(latest, min(seen))
        return missing, doubled, latest

    def run(self) -> dict[Kind, Row]:
        rows = {kind: Row() for kind in Kind}
        for entry in self.ledger.entries:
            row = rows[entry.kind]
            missing, doubled, delivered = self.effects(entry)
            if not entry.acknowledged:
                if doubled:
                    row.duplicated += 1
                    self.problems.append(
                        f"{entry.kind.value} {entry.ref} (unacknowledged): doubled"
                    )
                elif missing:
                    row.unacked_not_applied += 1
                else:
                    row.unacked_applied += 1
                continue
            row.accepted += 1
            row.retried += bool(entry.detail.get("retried"))
            if missing:
                row.lost += 1
                self.problems.append(f"{entry.kind.value} {entry.ref}: lost ({missing} missing)")
            elif doubled:
                row.duplicated += 1
                self.problems.append(f"{entry.kind.value} {entry.ref}: doubled ({doubled} extra)")
            elif delivered is not None and entry.kind in TOPIC_OF:
                owed_from = recovered(entry.at, delivered, self.windows)
                row.slowest_s = max(row.slowest_s, delivered - owed_from)
                if delivered - owed_from > self.grace_s:
                    row.late += 1
                    self.problems.append(
                        f"{entry.kind.value} {entry.ref}: late "
                        f"({delivered - owed_from:.0f}s after acceptance or recovery)"
                    )
                else:
                    row.ok += 1
            else:
                row.ok += 1
        return rows


def _once(count: int) -> tuple[int, int, float | None]:
    return (1, 0, None) if count == 0 else (0, count - 1, None)


def _facts(topic: str, record: Record) -> list[str]:
    data = record.data
    if topic == "case.referred":
        return [str(record.subject)]
    if topic in ("review.opinion", "review.decided"):
        return [str(data.get("review_id"))]
    if topic == "assistance.requested":
        return [str(data.get("request_id"))]
    if topic == "secondment.roster-changed":
        return [f"{data.get('team_id')}:{data.get('version')}"]
    return []


async def reconcile(
    cluster: Cluster,
    ledger: Ledger,
    windows: Sequence[Window],
    *,
    grace_s: float = 60.0,
    settle_timeout_s: float = 300.0,
) -> Report:
    settled = await settle(cluster, timeout_s=settle_timeout_s)
    db = await read_databases(cluster)
    topics = await read_topics(cluster, {t for _, t, _, _ in db.outbox} | set(TOPIC_OF.values()))
    reconciler = Reconciler(ledger, topics, db, windows, grace_s)
    rows = reconciler.run()
    problems = reconciler.problems
    unpublished_rows = [(s, t, e) for s, t, e, done in db.outbox if not done]
    not_on_topic = [
        (s, t, e) for s, t, e, done in db.outbox if done and e not in topics.events.get(t, {})
    ]
    for service, topic, event in unpublished_rows[:20]:
        problems.append(f"outbox of {service}: {topic} {event} never published")
    for service, topic, event in not_on_topic[:20]:
        problems.append(f"outbox of {service}: {topic} {event} marked published, not on its topic")
    ours = {e for _, _, e, _ in db.outbox}
    dead = sum(n for event, n in topics.dead_letters.items() if event in ours)
    if dead:
        problems.append(f"{dead} of the run's events were dead-lettered")
    oversight = await read_oversight(cluster)
    if oversight is not None:
        problems.extend(oversight.problems[:20])
    return Report(
        rows=rows,
        problems=problems,
        outbox_rows=len(db.outbox),
        outbox_unpublished=len(unpublished_rows),
        outbox_not_on_topic=len(not_on_topic),
        redelivered=sum(topics.redelivered.values()),
        dead_letters=dead,
        settled_in_s=settled,
        oversight=oversight,
    )
