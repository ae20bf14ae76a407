"""SUP-02, nothing lost under a broker restart (issue 19): the fault harness with oversight.

Referral and assistance as the producers, oversight as the consumer of their deadline
facts, each a process of the test's own (`xietong_devtools.faults`); towns draft and send
referrals and ask for assistance over the REST APIs (each create starts a deadline, each
send or submit meets one: `deadline.lifecycle` facts through the outbox) while the broker
is killed with SIGKILL mid-stream and kept down ten seconds. Afterwards every fact event
the producers committed was handled by oversight, and its ledger holds each deadline fact
once: none lost, none doubled (the reconciliation's `OversightCount`).

The broker it kills is its own (`PrivateBroker`: a Kafka of the local stack's kind on free
ports, its data under the test's directory, its jars fetched once into `.local/faults`);
the shared Kafka is never touched. Its databases are its own on the shared PostgreSQL
(dropped at the end). Not `alone` (that marker is for tests that stop or restart a server
the suite shares): nothing it kills is shared, so it runs beside the others in the parallel
run, where its waits for the broker and the services overlap their work instead of adding
two minutes after it; it asserts counts, never times, so a busy box only makes it slower.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xietong_common.events.namespace import Namespace
from xietong_devtools.faults.cluster import Cluster, PrivateBroker, free_port, new_run_id
from xietong_devtools.faults.cluster import Servers as ClusterServers
from xietong_devtools.faults.ledger import Kind
from xietong_devtools.faults.nemesis import KillBroker
from xietong_devtools.faults.runner import Options, default_local_dir, drive, render
from xietong_devtools.stack.kafka import check_java
from xietong_devtools.stack.postgres import StackError
from xietong_devtools.testing import Servers

pytestmark = [pytest.mark.integration]

SERVICES = ("referral", "assistance", "oversight")
OPTIONS = Options(
    duration_s=40,
    workers=2,
    reach_timeout_s=120,
    settle_timeout_s=300,
    flows={"referral": 1, "assistance": 1},
)
DOWN_S = 10.0
KINDS = {Kind.REFERRAL_CREATED, Kind.REFERRAL_SENT, Kind.ASSISTANCE_REQUESTED}


@pytest.mark.timeout(1500)  # three services and a broker start on what may be a busy box
async def test_sup_02_the_broker_killed_mid_stream_loses_and_doubles_no_fact_in_the_ledger(
    servers: Servers, tmp_path: Path
) -> None:
    try:
        check_java()
    except StackError as exc:
        pytest.skip(str(exc))
    broker = PrivateBroker(
        tmp_path / "kafka",
        port=free_port(),
        controller_port=free_port(),
        jars_home=default_local_dir() / "kafka",
    )
    await broker.start()
    run_id = new_run_id()
    cluster = Cluster(
        ClusterServers(
            admin_url=servers.postgres_admin_url,
            bootstrap=broker.bootstrap,
            namespace=Namespace(f"xt-ft-{run_id}."),
        ),
        run_id,
        tmp_path / run_id,
        services=SERVICES,
    )
    try:
        outcome = await drive(cluster, [KillBroker(broker, down_s=DOWN_S)], OPTIONS)
    finally:
        cluster.stop()
        servers.created.extend(cluster.databases.values())  # dropped by the session if not here
        await cluster.drop_databases()
        await broker.stop()
    lines = render(outcome, OPTIONS)
    print("\n".join(lines))
    (killed,) = outcome.faults
    assert killed.name == "kill -9 Kafka"
    assert killed.recovered_at - killed.started_at >= DOWN_S
    report = outcome.report
    accepted = {kind.value: row.accepted for kind, row in report.rows.items() if kind in KINDS}
    assert all(n > 0 for n in accepted.values()), accepted
    # Mid-stream: the producers committed facts before the kill, while the broker was
    # away (the outbox keeps them) and after it came back.
    times = [e.at for e in outcome.ledger.entries if e.acknowledged]
    assert any(t < killed.started_at for t in times), "\n".join(lines)
    assert any(killed.started_at < t < killed.recovered_at for t in times), "\n".join(lines)
    assert any(t > killed.recovered_at for t in times), "\n".join(lines)
    # Oversight's ledger against the producers: every fact event handled, every deadline
    # fact held once.
    counted = report.oversight
    assert counted is not None
    assert counted.producers == ["assistance", "referral"]
    assert counted.events >= sum(accepted.values()), "\n".join(lines)
    assert counted.handled == counted.events, "\n".join(lines)
    assert counted.facts_held == counted.facts_owed > 0, "\n".join(lines)
    assert (counted.lost, counted.duplicated) == (0, 0), "\n".join(lines)
    assert not report.failed, "\n".join(lines)
