"""The rules of delivery without I/O: targets, backoff, recipients, signatures."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from standardwebhooks.webhooks import Webhook

from notifier.domain import (
    TRANSITIONS,
    DeliveryState,
    Step,
    backoff_s,
    forbidden_address,
    new_secret,
    recipients,
    scheme_refusal,
    signature_headers,
)
from notifier.errors import DeliveryInvalidTransition
from notifier.service.targets import check_target
from notifier.settings import NotifierSettings


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.100.100.200",  # Alibaba Cloud's metadata endpoint (shared address space)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd12::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "114.114.114.114", "2400:3200::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address)) is None


def test_only_https_unless_allowed_and_no_credentials() -> None:
    assert scheme_refusal(urlsplit("http://example.com/"), allow_http=False)
    assert scheme_refusal(urlsplit("http://example.com/"), allow_http=True) is None
    assert scheme_refusal(urlsplit("https://example.com/"), allow_http=False) is None
    assert scheme_refusal(urlsplit("gopher://example.com/"), allow_http=True)
    assert scheme_refusal(urlsplit("https://a:b@example.com/"), allow_http=False)
    assert scheme_refusal(urlsplit("https://example.com/#x"), allow_http=False)


async def test_default_settings_refuse_loopback_and_http() -> None:
    """Without the test-only exemption, 127.0.0.1 and http:// are refused."""
    from notifier.errors import TargetRefused

    settings = NotifierSettings()
    for url in ("https://127.0.0.1/hook", "http://93.184.216.34/hook", "https://10.0.0.1/"):
        with pytest.raises(TargetRefused):
            await check_target(url, settings)
    assert await check_target("https://93.184.216.34/hook", settings) == (
        "https://93.184.216.34/hook"
    )


def test_backoff_doubles_up_to_its_bound() -> None:
    waits = [backoff_s(n, initial_s=10, max_s=7200) for n in range(1, 12)]
    assert waits[:4] == [10, 20, 40, 80]
    assert waits[-1] == 7200
    assert backoff_s(10_000, initial_s=10, max_s=7200) == 7200


def test_default_retries_span_more_than_a_day() -> None:
    """Issue 24: retried for at least 24 hours before dead-lettering."""
    s = NotifierSettings()
    total = sum(
        backoff_s(n, initial_s=s.notifier_backoff_initial_s, max_s=s.notifier_backoff_max_s)
        for n in range(1, s.notifier_max_attempts)
    )
    assert total >= 24 * 3600


def test_sup_02_a_breach_is_told_to_both_parties_a_reminder_to_the_one_who_owes() -> None:
    assert recipients("dept:a", "town:b", breached=True) == ("dept:a", "town:b")
    assert recipients("dept:a", "town:b", breached=False) == ("dept:a",)
    assert recipients("dept:a", None, breached=True) == ("dept:a",)
    assert recipients("dept:a", "dept:a", breached=True) == ("dept:a",)


def test_redelivery_only_of_a_finished_delivery() -> None:
    assert TRANSITIONS.next(DeliveryState.DEAD, Step.REDELIVER) is DeliveryState.PENDING
    with pytest.raises(DeliveryInvalidTransition):
        TRANSITIONS.next(DeliveryState.PENDING, Step.REDELIVER)
    with pytest.raises(DeliveryInvalidTransition):
        TRANSITIONS.next(DeliveryState.DEAD, Step.SUCCEED)


def test_the_signature_verifies_with_the_reference_library_and_only_with_its_secret() -> None:
    import time

    secret = new_secret()
    body = b'{"specversion":"1.0","type":"xietong.deadline.breached.v1"}'
    headers = signature_headers(secret, msg_id="msg_1", timestamp=int(time.time()), body=body)
    assert headers["webhook-signature"].startswith("v1,")
    Webhook(secret).verify(body, headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body + b" ", headers)
    stale = signature_headers(secret, msg_id="msg_1", timestamp=int(time.time()) - 3600, body=body)
    with pytest.raises(Exception, match="too old"):
        Webhook(secret).verify(body, stale)


def test_the_webhook_adapter_renders_a_signed_structured_cloudevent() -> None:
    import json
    from datetime import UTC, datetime

    from notifier.service.adapters import ADAPTERS, DEFAULT_ADAPTER

    secret = new_secret()
    event = {"specversion": "1.0", "id": "e1", "type": "xietong.deadline.breached.v1"}
    out = ADAPTERS[DEFAULT_ADAPTER].render(
        delivery_id="d1", event=event, secret=secret, now=datetime.now(UTC)
    )
    assert out.headers["content-type"].startswith("application/cloudevents+json")
    assert out.headers["webhook-id"] == "d1"
    assert json.loads(out.body) == event
    Webhook(secret).verify(out.body, out.headers)
