"""Dead letters re-driven after a fix, on the real broker in this session's namespace: the
referral service dead-letters a review opinion it could not handle (its database refused
the insert: a simulated fault) and a forged one (published as another service); the depth
gauge's reader counts both; once the fault is fixed, `xietong dlq replay review.opinion`
(the command, as an operator runs it where the service runs) re-drives the first, which
drafts its case, and skips the forged one unless forced, which then goes back to the
dead-letter topic since its source is still wrong."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from referral.main import SPEC
from xietong_common.contracts.review import (
    CaseSummary,
    ReviewOpinionGiven,
    ReviewOpinionKind,
)
from xietong_common.db import plain_url
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_common.messaging.dead_letters import DeadLetterReader, Letters
from xietong_devtools.testing import (
    TEST_JWT_SECRET,
    TEST_NAMESPACE,
    Servers,
    create_database,
    physical_topic,
    running_service,
    sample_codes,
    start_group_at_end,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TOPIC = "review.opinion"
FAULT = """
CREATE FUNCTION simulated_fault() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'simulated outage of the referrals table'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER simulated_fault BEFORE INSERT ON referrals
  FOR EACH ROW EXECUTE FUNCTION simulated_fault();
"""


def _opinion(codes: dict[str, str]) -> ReviewOpinionGiven:
    return ReviewOpinionGiven(
        review_id=uuid.uuid4(),
        round=1,
        submitting_org=codes["town_a"],
        reviewing_org=codes["town_a"],
        opinion=ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        reasons="不属本机关执法权限",
        transfer_to=codes["dept"],
        case=CaseSummary(
            matter_code=codes["dept_matter"],
            place_town=codes["town_a"],
            found_at=datetime(2024, 2, 20, 2, 0, tzinfo=UTC),
            facts="违法排放污水",
        ),
        reviewer="town:lizhi/reviewer",
        issued_at=datetime.now(UTC),
    )


async def _publish(bootstrap: str, opinion: ReviewOpinionGiven, *, source: str) -> str:
    envelope = CloudEvent.wrap(
        opinion,
        spec=type(opinion).spec,
        source=source,
        subject=str(opinion.review_id),
        time=datetime.now(UTC),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            physical_topic(TOPIC), envelope.to_bytes(), key=str(opinion.review_id).encode()
        )
    finally:
        await producer.stop()
    return envelope.id


def _reader(bootstrap: str, name: str) -> DeadLetterReader:
    return DeadLetterReader(bootstrap, service=name, topics=[TOPIC], namespace=TEST_NAMESPACE)


async def _letters(bootstrap: str, name: str, count: int) -> Letters:
    """Wait (bounded) until `count` letters of the service are on the topic."""
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        async with _reader(bootstrap, name) as reader:
            found = await reader.read(from_start=True)
        mine = found.of(TEST_NAMESPACE.group(name))
        if len(mine) >= count:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"{len(mine)} of {count} letters"
        await asyncio.sleep(0.5)


def _xietong(url: str, bootstrap: str, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `xietong` command as an operator runs it in the service's container."""
    return subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", "dlq", *args, "--service", "referral"],
        env={
            **os.environ,
            "XIETONG_SERVICE_NAME": name,
            "XIETONG_DATABASE_URL": url,
            "XIETONG_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "XIETONG_JWT_SECRET": TEST_JWT_SECRET,
            "XIETONG_LOG_JSON": "false",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


async def _referrals(url: str) -> list[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return [r["source_id"] for r in await conn.fetch("SELECT source_id FROM referrals")]
    finally:
        await conn.close()


async def test_dead_letters_are_counted_listed_and_re_driven_after_the_fix(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    url = await create_database(servers, "dlq")
    name = f"referral-dlq-{uuid.uuid4().hex[:8]}"
    topics = [registry.spec_for(m).topic for m in SPEC.handlers]
    await start_group_at_end(kafka_bootstrap, name, topics)
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        service_name=name,
        blob_dir=tmp_path / "blobs",
    ) as svc:
        codes = sample_codes(svc.ctx)
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute(FAULT)
        finally:
            await conn.close()
        good, forged = _opinion(codes), _opinion(codes)
        good_id = await _publish(kafka_bootstrap, good, source="/xietong/legal-review")
        forged_id = await _publish(kafka_bootstrap, forged, source="/xietong/referral")
        found = await _letters(kafka_bootstrap, name, 2)
    mine = found.of(TEST_NAMESPACE.group(name))
    by_id = {letter.event().id: letter for letter in mine}  # type: ignore[union-attr]
    assert by_id[good_id].attempts == 3
    assert "simulated outage" in by_id[good_id].error
    assert by_id[forged_id].error_type == "ForgedSource"
    assert by_id[forged_id].attempts == 0
    async with _reader(kafka_bootstrap, name) as reader:
        assert (await reader.depth())[TOPIC] >= 2

    # The fix.
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("DROP TRIGGER simulated_fault ON referrals")
    finally:
        await conn.close()

    listed = _xietong(url, kafka_bootstrap, name, "list", TOPIC)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "2 dead letter(s) of referral on review.opinion" in listed.stdout
    assert "ForgedSource" in listed.stdout
    assert "simulated outage" in listed.stdout

    replayed = _xietong(url, kafka_bootstrap, name, "replay", TOPIC)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 re-driven (1 handled), 1 forged skipped" in replayed.stdout
    assert "from /xietong/referral" in replayed.stdout
    assert await _referrals(url) == [f"{good.review_id}:1"]  # the draft, once
    async with _reader(kafka_bootstrap, name) as reader:
        assert (await reader.depth())[TOPIC] == 0
    after = _xietong(url, kafka_bootstrap, name, "list", TOPIC)
    assert "0 dead letter(s)" in after.stdout

    # Forced: the forged letter is checked again and goes back (its source is still wrong);
    # the one already handled is a duplicate.
    forced = _xietong(url, kafka_bootstrap, name, "replay", TOPIC, "--all", "--force")
    assert forced.returncode == 1, forced.stdout + forced.stderr
    assert "2 re-driven (1 dead-lettered, 1 duplicate), 0 forged skipped" in forced.stdout
    assert await _referrals(url) == [f"{good.review_id}:1"]
    again = await _letters(kafka_bootstrap, name, 3)
    assert [d.error_type for d in again.of(TEST_NAMESPACE.group(name))].count("ForgedSource") == 2


def test_the_command_says_whose_letters_and_which_topics() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xietong_common.cli.main",
            "dlq",
            "replay",
            "case.filed",
            "--service",
            "referral",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "referral consumes" in result.stderr
    assert "not case.filed" in result.stderr
