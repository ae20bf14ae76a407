"""The fault harness in small (`make faults` is the whole of it; docs/faults.md): referral
and legal review as processes of the test's own, a few seconds of referrals and reviews to
opinion (4) over their REST APIs, legal review killed with SIGKILL at two fault points (a
review's create committed and its answer lost; a relay batch on Kafka that the outbox does
not know about), and the ledger reconciled: nothing lost, nothing doubled, the referral
drafted from each opinion once.

It runs on the shared servers, so it restarts neither of them: its databases are its own
(dropped at the end), and so are its topics and consumer groups: a namespace inside the
session's (deleted with the session's topics), since other tests of the session — the
workbench's stack in the same worker — have live members in the session's own groups. It is kept small because it runs in every `make test`: two
services, two workers, no consumer killed (a killed consumer's group waits out its session
timeout); the whole harness is `make faults`."""

from __future__ import annotations

from pathlib import Path

import pytest

from xietong_common.events.namespace import Namespace
from xietong_devtools.faults.cluster import Cluster, new_run_id
from xietong_devtools.faults.cluster import Servers as ClusterServers
from xietong_devtools.faults.ledger import Kind
from xietong_devtools.faults.nemesis import SMOKE_SERVICES, smoke_faults
from xietong_devtools.faults.runner import Options, drive, render
from xietong_devtools.testing import TEST_NAMESPACE, Servers

pytestmark = pytest.mark.integration

OPTIONS = Options(
    duration_s=6,
    workers=2,
    reach_timeout_s=120,
    settle_timeout_s=240,
    flows={"referral": 1, "review-transfer": 1},
)
KINDS = {Kind.REFERRAL_CREATED, Kind.REFERRAL_SENT, Kind.REVIEW_SUBMITTED, Kind.OPINION_TRANSFER}


@pytest.mark.timeout(1200)  # services start and restart on what may be a busy 2-core box
async def test_faults_smoke_kills_services_at_fault_points_and_nothing_is_lost_or_doubled(
    servers: Servers, tmp_path: Path
) -> None:
    run_id = new_run_id()
    cluster = Cluster(
        ClusterServers(
            admin_url=servers.postgres_admin_url,
            bootstrap=servers.kafka_bootstrap,
            namespace=Namespace(f"{TEST_NAMESPACE.prefix}ft{run_id}."),
        ),
        run_id,
        tmp_path / run_id,
        services=SMOKE_SERVICES,
        groups_from_end=True,
    )
    try:
        outcome = await drive(cluster, smoke_faults(), OPTIONS)
    finally:
        cluster.stop()
        servers.created.extend(cluster.databases.values())  # dropped by the session if not here
        await cluster.drop_databases()
    lines = render(outcome, OPTIONS)
    print("\n".join(lines))
    expected = [fault.name for fault in smoke_faults()]
    assert [f.name for f in outcome.faults] == expected
    # Each was killed at its point, not where it happened to be.
    assert [f.note for f in outcome.faults if f.note.startswith("not reached")] == []
    report = outcome.report
    accepted = {kind.value: row.accepted for kind, row in report.rows.items() if kind in KINDS}
    assert all(n > 0 for n in accepted.values()), accepted
    problems = {
        kind.value: (row.lost, row.duplicated)
        for kind, row in report.rows.items()
        if row.lost or row.duplicated
    }
    assert problems == {}, "\n".join(lines)
    # The killed relay's batch went out again with the same ids, and was handled once.
    assert report.redelivered >= 1, "\n".join(lines)
    assert not report.failed, "\n".join(lines)
