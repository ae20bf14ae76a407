"""Wiring of the 消息通知 (notifier) service: `uvicorn notifier.main:app`."""

from __future__ import annotations

from pathlib import Path

from notifier import api, handlers
from notifier.service import delivery_job
from notifier.settings import NotifierSettings
from xietong_common.contracts.deadlines import DeadlineApproaching, DeadlineBreached
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="notifier",
    title="xietong 消息通知 — notifier (outbound webhooks)",
    description=(
        "消息通知 (notifier), issue 24: an organisation registers webhook endpoints for the "
        "events it must be told of — a deadline it owes is due soon (deadline.approaching, "
        "催办), a deadline was missed (deadline.breached, SUP-02: told to the organisation "
        "that owed it and to the one kept waiting). Deliveries are CloudEvents (HTTP binding, "
        "structured mode) signed as Standard Webhooks says — or, by the subscription's format, "
        "a 企业微信/政务微信 or 钉钉 (加签) group robot's message or the SMS gateway's JSON, in "
        "Chinese — retried with backoff, dead after the last attempt and redeliverable. Targets are https:// on public addresses only "
        "(SSRF). docs/webhooks.md tells an integrator how to verify a signature."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=NotifierSettings,
    handlers={
        DeadlineApproaching: handlers.on_deadline_approaching,
        DeadlineBreached: handlers.on_deadline_breached,
        **dict.fromkeys(handlers.RECORD_EVENT_MODELS, handlers.on_record_event),
    },
    jobs=[delivery_job()],
    openapi_tags=[
        {"name": "subscriptions", "description": "订阅: an organisation's webhook endpoints"},
        {"name": "deliveries", "description": "推送: each event to each endpoint, and retries"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
