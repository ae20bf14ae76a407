"""INSP-08 → REV-01 at the workbench: a joint inspection's finding that needs the town's legal
review arrives (`inspection.review-requested`, from joint inspection) as a request the town
sees under 法制审核; its brigade submits the review from it (the form starts from the finding
and names the request), or its leader withdraws it with a real reason. Another town gets a
404 page."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from workbench_testing import Direct, Stack, staff_of, until
from xietong_common.contracts.inspection import InspectionReviewRequested, ReviewTriggerResult
from xietong_common.contracts.review import CaseParty
from xietong_common.events.envelope import CloudEvent

pytestmark = pytest.mark.integration

TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"
MATTER = "URB-002"  # a town's own matter (城市管理)


@pytest.fixture
async def requested(kafka_bootstrap: str, stack: Stack) -> AsyncIterator[Any]:
    """Publish a finding that needs the town's review, as joint inspection does; returns the
    request once legal review has it."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    direct = Direct(stack)

    async def publish(facts: str) -> dict[str, Any]:
        event = InspectionReviewRequested(
            inspection_id=str(uuid.uuid4()),
            order_number="荔枝街道综查〔2026〕9号",
            finding_id=str(uuid.uuid4()),
            visit_id=str(uuid.uuid4()),
            target_id=str(uuid.uuid4()),
            handling_org=TOWN,
            place_town=TOWN,
            matter_code=MATTER,
            matters_checked=[MATTER],
            found_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
            description=facts,
            handling="责令改正，拟立案处罚",
            target=CaseParty(name="某建材公司", kind="legal-person"),
            triggers=[
                ReviewTriggerResult(
                    trigger="amount", label_zh="罚款或没收数额达到法定标准", reason="fine ≥ 2000"
                )
            ],
            requested_at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        )
        envelope = CloudEvent.wrap(
            event,
            spec=type(event).spec,
            source="/xietong/joint-inspection",
            subject=event.inspection_id,
            time=datetime.now(UTC),
        )
        await producer.send_and_wait(
            stack.topic(type(event).spec.topic),
            envelope.to_bytes(),
            key=event.inspection_id.encode(),
        )

        async def arrived() -> dict[str, Any] | None:
            page = await direct.call("legal-review", "GET", "/review-requests", TOWN, "handler")
            found = [q for q in page["items"] if q["finding_id"] == event.finding_id]
            return found[0] if found else None

        return await until(arrived, "the review request")

    yield publish
    await producer.stop()


async def test_rev_01_insp_08_the_town_sees_the_request_and_withdraws_it_only_with_a_reason(
    stack: Stack, requested: Any
) -> None:
    request = await requested("当事人在江边倾倒建筑垃圾约20立方米")
    page = f"/reviews/requests/{request['id']}"
    async with staff_of(stack, TOWN, "handler", "leader") as town:
        listing = await town.get("/reviews/requests?state=pending")
        assert listing.status_code == 200
        assert page in listing.text
        shown = await town.get(page)
        assert shown.status_code == 200
        assert "当事人在江边倾倒建筑垃圾约20立方米" in shown.text
        assert 'data-testid="submit-for-request"' in shown.text
        # A reason that says nothing is refused beside its field, and nothing changes.
        refused = await town.post_form(
            f"{page}/withdraw", {"reason": "同上", "idempotency_key": str(uuid.uuid4())}, page=page
        )
        assert refused.status_code == 422, refused.text[-2000:]
        assert 'data-testid="error-summary"' in refused.text
        assert re.search(r'class="field-error" id="[\w-]*reason-error"', refused.text), refused.text
        direct = Direct(stack)
        still = await direct.call("legal-review", "GET", f"/review-requests/{request['id']}", TOWN)
        assert still["state"]["value"] == "pending"
        reason = "复核现场后确认堆放物为当事人自有工程的临时周转材料，不构成违法倾倒"
        withdrawn = await town.post_form(
            f"{page}/withdraw", {"reason": reason, "idempotency_key": str(uuid.uuid4())}, page=page
        )
        assert withdrawn.status_code == 303, withdrawn.text[-2000:]
        after = await town.get(page)
        assert reason in after.text
        assert 'data-testid="do-withdraw"' not in after.text
    state = await direct.call("legal-review", "GET", f"/review-requests/{request['id']}", TOWN)
    assert state["state"]["value"] == "withdrawn"
    # Another town may not learn the request exists.
    async with staff_of(stack, OTHER_TOWN, "handler", "leader") as stranger:
        assert (await stranger.get(page)).status_code == 404
        assert (await stranger.get(f"/reviews/new?request_id={request['id']}")).status_code == 404


async def test_rev_01_insp_08_the_review_submitted_from_the_request_fulfils_it(
    stack: Stack, requested: Any
) -> None:
    request = await requested("当事人占用人行道堆放建材约30平方米")
    form_page = f"/reviews/new?request_id={request['id']}"
    async with staff_of(stack, TOWN, "handler") as town:
        form = await town.get(form_page)
        assert form.status_code == 200
        assert f'name="request_id" value="{request["id"]}"' in form.text
        assert "当事人占用人行道堆放建材约30平方米" in form.text  # the facts, to start from
        values = {
            "matter_code": MATTER,
            "place_town": TOWN,
            "case_number": f"涪荔综执立〔2026〕{uuid.uuid4().int % 10**6}号",
            "found_at": "2026-11-30T10:00",
            "facts": "当事人占用人行道堆放建材约30平方米",
            "proposal": "拟对当事人罚款50000元",
            "party.name": "某建材公司",
            "party.kind": "legal-person",
            "party.id_number": "",
            "decision.fine": "50000",
            "decision.confiscated_gains": "",
            "decision.confiscated_property_value": "",
            "decision.adjustment": "none",
            "request_id": request["id"],
            "idempotency_key": str(uuid.uuid4()),
        }
        submitted = await town.post_form("/reviews/new", values, page=form_page)
        assert submitted.status_code == 303, submitted.text[-3000:]
        found = re.fullmatch(r"/reviews/([0-9a-f-]{36})", submitted.headers["location"])
        assert found
        shown = await town.get(f"/reviews/requests/{request['id']}")
        assert f'href="/reviews/{found.group(1)}"' in shown.text
        assert 'data-testid="submit-for-request"' not in shown.text
    state = await Direct(stack).call(
        "legal-review", "GET", f"/review-requests/{request['id']}", TOWN
    )
    assert (state["state"]["value"], state["review_id"]) == ("submitted", found.group(1))
