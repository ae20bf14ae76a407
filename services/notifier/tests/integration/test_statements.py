"""Statements per create (issue 22): a webhook subscription is written with the record kit's
one INSERT (`SUBSCRIPTION.insert`), not through the ORM's flush; a regression shows as a
count."""

from __future__ import annotations

import pytest

from notifier.models import Subscription
from xietong_devtools.testing import RunningService, flushed_inserts, outbox_settled, statements

from .conftest import Receiver, subscribe

pytestmark = pytest.mark.integration


async def test_sup_02_a_webhook_subscription_is_inserted_by_its_kind(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """Registering a webhook for SUP-02's deadline facts inserts the subscription once, with
    its kind's INSERT and no flush of it (the create has no rule of its own: it serves the
    deliveries of SUP-02's facts): one statement, the commit's, writing the subscription and
    its audit row (issue 22)."""
    await outbox_settled(svc)
    with flushed_inserts(Subscription) as flushed, statements(svc) as seen:
        created = await subscribe(svc, towns[0], receiver.url("/statements"))
    assert created["secret"].startswith("whsec_")
    assert not flushed, flushed
    inserts = [s for s, _ in seen if "INSERT INTO subscriptions " in s]
    assert len(inserts) == 1, seen
    assert len(seen) == 1, seen
    assert "INSERT INTO audit_log" in seen[0][0], seen
