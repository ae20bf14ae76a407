"""Subscriptions (订阅): an organisation's admin registers webhook endpoints; everything is
scoped to the caller's organisation; targets that would let the service call inside the
network (SSRF) are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from notifier.models import Subscription
from xietong_devtools.testing import RunningService

from .conftest import Receiver, admin, subscribe

pytestmark = pytest.mark.integration

REFUSED = "urn:xietong:problem:notifier-target-refused"


async def count(svc: RunningService) -> int:
    async with svc.ctx.db.session() as session:
        return int(
            (
                await session.execute(sa.select(sa.func.count()).select_from(Subscription))
            ).scalar_one()
        )


async def test_an_admin_registers_reads_changes_and_deletes_a_webhook(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[0]
    created = await subscribe(svc, town, receiver.url(), description="李渡街道协同平台")
    assert created["secret"].startswith("whsec_")
    assert created["organisation"] == town
    assert created["kinds"] == ["deadline.approaching", "deadline.breached"]
    sid = created["id"]

    r = await svc.client.get(f"/subscriptions/{sid}", headers=admin(svc, town))
    assert r.status_code == 200
    assert "secret" not in r.json()  # shown once

    r = await svc.client.patch(
        f"/subscriptions/{sid}",
        json={"kinds": ["deadline.breached"], "active": False},
        headers=admin(svc, town),
    )
    assert r.status_code == 200, r.text
    assert r.json()["kinds"] == ["deadline.breached"]
    assert r.json()["active"] is False

    await subscribe(svc, town, receiver.url("/second"))
    r = await svc.client.get("/subscriptions?page_size=1", headers=admin(svc, town))
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    r = await svc.client.get("/subscriptions?active=false", headers=admin(svc, town))
    assert [s["id"] for s in r.json()["items"]] == [sid]

    r = await svc.client.delete(f"/subscriptions/{sid}", headers=admin(svc, town))
    assert r.status_code == 204
    r = await svc.client.get(f"/subscriptions/{sid}", headers=admin(svc, town))
    assert r.status_code == 404
    r = await svc.client.get("/subscriptions", headers=admin(svc, town))
    assert r.json()["total"] == 1


async def test_another_organisations_token_gets_404(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    owner, other = towns[1], towns[2]
    sid = (await subscribe(svc, owner, receiver.url()))["id"]
    them = admin(svc, other)
    assert (await svc.client.get(f"/subscriptions/{sid}", headers=them)).status_code == 404
    r = await svc.client.patch(f"/subscriptions/{sid}", json={"active": False}, headers=them)
    assert r.status_code == 404
    assert (await svc.client.delete(f"/subscriptions/{sid}", headers=them)).status_code == 404
    listed = (await svc.client.get("/subscriptions", headers=them)).json()
    assert sid not in [s["id"] for s in listed["items"]]
    # Not an admin of the organisation itself: 403.
    handler = svc.auth(owner, "handler")
    assert (await svc.client.get(f"/subscriptions/{sid}", headers=handler)).status_code == 403
    r = await svc.client.get(f"/subscriptions/{sid}", headers=admin(svc, owner))
    assert r.json()["active"] is True


async def test_idempotency_key_on_create_returns_the_first_subscription(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[3]
    headers = {**admin(svc, town), "Idempotency-Key": "hook-create-1"}
    body = {"url": receiver.url(), "kinds": ["deadline.breached"]}
    before = await count(svc)
    first = await svc.client.post("/subscriptions", json=body, headers=headers)
    again = await svc.client.post("/subscriptions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()  # the secret too: the caller who lost it learns it
    assert await count(svc) == before + 1
    other = await svc.client.post(
        "/subscriptions", json={**body, "kinds": ["deadline.approaching"]}, headers=headers
    )
    assert other.status_code == 422
    assert await count(svc) == before + 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2/hook",  # loopback (only 127.0.0.1 is exempted, by the test setting)
        "http://localhost:8080/hook",  # a name that resolves to loopback
        "https://10.0.0.5/hook",  # private
        "https://192.168.1.10/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "ftp://example.com/hook",
        "https://user:secret@example.com/hook",
        "https://no-such-host.invalid/hook",
        "not a url at all",
        "https://" + "a" * 300 + ".example/",  # a label IDNA refuses
        "https://exa\u0000mple.com/",
        "https://example.com:99999/",
    ],
)
async def test_ssrf_targets_are_refused_and_nothing_is_stored(
    svc: RunningService, towns: list[str], url: str
) -> None:
    before = await count(svc)
    r = await svc.client.post(
        "/subscriptions",
        json={"url": url, "kinds": ["deadline.breached"]},
        headers=admin(svc, towns[4]),
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"] in (REFUSED, "urn:xietong:problem:invalid-input")
    assert await count(svc) == before


async def test_a_changed_url_is_checked_again(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[5]
    sid = (await subscribe(svc, town, receiver.url()))["id"]
    r = await svc.client.patch(
        f"/subscriptions/{sid}",
        json={"url": "https://169.254.169.254/latest/meta-data/"},
        headers=admin(svc, town),
    )
    assert r.status_code == 422
    assert r.json()["type"] == REFUSED
    r = await svc.client.get(f"/subscriptions/{sid}", headers=admin(svc, town))
    assert r.json()["url"] == receiver.url()
