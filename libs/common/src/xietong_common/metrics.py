"""Prometheus metrics shared by the backbone."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "xietong_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "xietong_http_request_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_PUBLISHED = Counter(
    "xietong_outbox_published_total",
    "Events relayed from the outbox to Kafka",
    ["service", "topic"],
)
OUTBOX_FAILURES = Counter(
    "xietong_outbox_failures_total", "Relay batches that failed (rows stay queued)", ["service"]
)
OUTBOX_PENDING = Gauge(
    "xietong_outbox_pending",
    "Outbox rows not yet published, counted in the database after a relay pass (failed passes too)",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "xietong_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row, measured in the database with "
    "xietong_outbox_pending (0 when none)",
    ["service"],
)
INBOX_HANDLED = Counter(
    "xietong_inbox_events_total", "Consumed events by outcome", ["service", "topic", "outcome"]
)
INBOX_RETRIES = Counter(
    "xietong_inbox_retries_total",
    "Handler attempts that failed and were retried",
    ["service", "topic"],
)
INBOX_LAG = Gauge(
    "xietong_inbox_lag_messages",
    "Messages on a consumed topic not yet handled by this service (sum over the partitions "
    "this instance holds: the high watermark minus the consumer's position)",
    ["service", "topic"],
)
DEADLINE_BREACHES = Counter(
    "xietong_deadline_breaches_total", "Deadline breaches recorded", ["service", "rule"]
)
