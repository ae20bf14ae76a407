"""Prometheus metrics shared by the backbone (deploy/observability: the alert rules and the
dashboard built on them; docs/observability.md).

Periodic jobs are labelled `job_name`, not `job`: Prometheus gives every scraped series the
target's `job` label, which would rename ours to `exported_job`."""

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
OUTBOX_PASS_EVENTS = Histogram(
    "xietong_outbox_pass_events",
    "Events a relay pass published: how well passes are shared (XIETONG_OUTBOX_LINGER_MS)",
    ["service"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
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
DEADLINE_REMINDERS = Counter(
    "xietong_deadline_reminders_total",
    "deadline.approaching reminders published, per lead time (issue 24)",
    ["service", "lead"],
)
DEADLINES_PROVISIONAL = Gauge(
    "xietong_deadlines_provisional",
    "Open deadlines whose date is provisional (their holiday year is not installed): counted "
    "in no breach until it is; measured by the deadline sweep",
    ["service"],
)
CALENDAR_NEXT_YEAR_MISSING = Gauge(
    "xietong_calendar_next_year_missing",
    "1 from XIETONG_CALENDAR_WATCH_FROM (default 1 December) while next year's holiday schedule "
    "is not installed (every deadline reaching into it is provisional), else 0",
    ["service"],
)
TOPIC_RETENTION_SHORT = Gauge(
    "xietong_topic_retention_short",
    "1 for a topic whose retention is shorter than its events need (an accountability or "
    "evidence topic) and could not be lengthened at start (docs/deploy.md), else 0",
    ["service", "topic"],
)
JOB_FAILURES = Counter(
    "xietong_job_failures_total",
    "Runs of a periodic job that failed as a whole (it runs again at its next interval)",
    ["service", "job_name"],
)
JOB_ROW_FAILURES = Counter(
    "xietong_job_row_failures_total",
    "Rows a periodic job could not process: logged, skipped (retried after a back-off), "
    "the other rows go on",
    ["service", "job_name"],
)
JOB_LAST_SUCCESS = Gauge(
    "xietong_job_last_success_timestamp_seconds",
    "When a periodic job last ran to the end (Unix time); alert when it stops moving",
    ["service", "job_name"],
)
JOB_ROWS_SKIPPED = Gauge(
    "xietong_job_rows_skipped",
    "Rows a periodic job is skipping now after they failed (until their back-off ends)",
    ["service", "job_name"],
)
DLQ_MESSAGES = Gauge(
    "xietong_dlq_messages",
    "Dead letters on a consumed topic's .dlq twin not yet re-driven (`xietong dlq replay`): "
    "the records after the offsets the service's replay group committed, measured by the "
    "consumer every minute. A .dlq topic two services consume counts both services' letters",
    ["service", "topic"],
)
CALENDAR_LAST_KNOWN_YEAR = Gauge(
    "xietong_calendar_last_known_year",
    "The last year whose official holiday schedule (调休) the working-day calendar knows; "
    "alert in December when it is not next year",
    ["service"],
)
AUDIT_CHAIN_VERIFIED = Gauge(
    "xietong_audit_chain_verified",
    "1 when the last periodic verification found the audit chain intact and matching its "
    "signed checkpoints, 0 when it found a problem (`xietong audit verify SERVICE` says which)",
    ["service"],
)
AUDIT_VERIFY_LAST_RUN = Gauge(
    "xietong_audit_verify_last_run_timestamp_seconds",
    "When the audit chain was last verified (Unix time)",
    ["service"],
)
OVERSIGHT_AUDIT_ALARMS = Counter(
    "xietong_oversight_audit_alarms_total",
    "SUP-01, the outsider (the oversight service): alarms raised on checkpoints of a service's "
    "audit chain that cannot be trusted, by the chain's service and the alarm's kind "
    "(bad-signature, gap, rollback, chain-replaced)",
    ["service", "kind"],
)
OVERSIGHT_CALENDAR_ALARMS = Counter(
    "xietong_oversight_calendar_alarms_total",
    "SUP-02, the calendar watch (the oversight service): alarms raised, at most one a day, "
    "while next year's holiday schedule is not installed past XIETONG_CALENDAR_WATCH_FROM, by "
    "the missing year",
    ["year"],
)
