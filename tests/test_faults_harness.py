"""The fault harness's own parts, without servers: a probe stops its process exactly at the
armed point and only there; the reconciliation tells ok, lost, duplicated and late apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from xietong_devtools.faults.ledger import Kind, Ledger
from xietong_devtools.faults.probe import Arming, arm_file, hit_file
from xietong_devtools.faults.reconcile import (
    Databases,
    ProducedFact,
    Reconciler,
    Record,
    Report,
    Topics,
    Window,
    count_oversight,
    recovered,
)
from xietong_devtools.faults.runner import Options, Outcome, render

SCRIPT = """
import sys, time
from pathlib import Path
from xietong_common import faultpoints
from xietong_devtools.faults.probe import FileProbe

faultpoints.install_probe(FileProbe(Path(sys.argv[1]), "svc"))
print("ready", flush=True)
while not (Path(sys.argv[1]) / "go").exists():
    time.sleep(0.01)
faultpoints.reached("request.unanswered", method="GET", status="200")  # not armed for GET
print("passed the GET", flush=True)
faultpoints.reached("request.unanswered", method="POST", status="201")  # armed: stops here
print("after the POST", flush=True)
"""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return ""


def _until(check: object, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < end, "condition not met"
        time.sleep(0.02)


def test_a_probe_stops_its_process_at_the_armed_point_and_only_there(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(tmp_path)], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _until(lambda: "ready" in out.read_text())
        arming = Arming("request.unanswered", {"method": ("POST",), "status": ("201",)})
        arm_file(tmp_path, "svc").write_text(arming.to_json())
        (tmp_path / "go").touch()
        _until(lambda: _state(process.pid) == "T")  # stopped itself (SIGSTOP)
        assert "passed the GET" in out.read_text()
        assert "after the POST" not in out.read_text()
        assert not arm_file(tmp_path, "svc").exists()  # one shot
        assert '"status": "201"' in hit_file(tmp_path, "svc").read_text()
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert "after the POST" not in out.read_text()  # killed right there


def test_a_delivery_is_owed_from_the_recovery_of_the_faults_it_was_in_transit_through() -> None:
    broker = Window("restart Kafka", started_at=100, recovered_at=130)
    later = Window("restart PostgreSQL", started_at=200, recovered_at=210)
    assert recovered(50, 60, [broker, later]) == 50  # before any fault
    assert recovered(90, 140, [broker, later]) == 130  # waited for the broker
    assert recovered(110, 205, [broker, later]) == 210  # in transit through both
    assert recovered(140, 150, [broker, later]) == 140  # accepted after it recovered


def _record(event_id: str, at: float, **data: object) -> Record:
    return Record(event_id=event_id, subject=str(data.get("subject")), data=dict(data), at=at)


def test_the_reconciliation_tells_ok_lost_duplicated_late_and_unacknowledged_apart() -> None:
    ledger = Ledger()
    ledger.accepted(Kind.REFERRAL_SENT, "r-ok", at=100)
    ledger.accepted(Kind.REFERRAL_SENT, "r-lost", at=100)
    ledger.accepted(Kind.REFERRAL_SENT, "r-doubled", at=100)
    ledger.accepted(Kind.REFERRAL_SENT, "r-late", at=100)
    ledger.accepted(Kind.REFERRAL_SENT, "r-waited", at=100, retried=True)
    ledger.unacknowledged(Kind.REFERRAL_SENT, "r-applied", at=100)
    ledger.unacknowledged(Kind.REFERRAL_SENT, "r-not-applied", at=100)
    ledger.accepted(Kind.REVIEW_DECIDED, "rev-1", at=100)
    ledger.accepted(Kind.REVIEW_DECIDED, "rev-2", at=100)
    topics = Topics(
        events={
            "case.referred": {
                "e1": _record("e1", 101, subject="r-ok"),
                "e2": _record("e2", 101, subject="r-doubled"),
                "e3": _record("e3", 102, subject="r-doubled"),  # another id: a second fact
                "e4": _record("e4", 240, subject="r-late"),  # 80 s after the recovery
                "e5": _record("e5", 170, subject="r-waited"),  # 70 s, but 10 s after the recovery
                "e6": _record("e6", 101, subject="r-applied"),
            },
            "review.decided": {
                "d1": _record("d1", 101, review_id="rev-1"),
                "d2": _record("d2", 101, review_id="rev-2"),
            },
        }
    )
    db = Databases()
    db.info_items["rev-1"].append(102.0)  # the consumer made rev-1's item, not rev-2's
    db.handled["info-sharing"] = {"d1": 102.0, "d2": 102.0}
    fault = Window("kill -9 referral", started_at=150, recovered_at=160)
    reconciler = Reconciler(ledger, topics, db, [fault], grace_s=60)
    rows = reconciler.run()
    sent = rows[Kind.REFERRAL_SENT]
    assert (sent.accepted, sent.ok, sent.lost, sent.duplicated, sent.late) == (5, 2, 1, 1, 1)
    assert (sent.unacked_applied, sent.unacked_not_applied, sent.retried) == (1, 1, 1)
    decided = rows[Kind.REVIEW_DECIDED]
    assert (decided.accepted, decided.ok, decided.lost) == (2, 1, 1)
    assert any("rev-2: lost" in p for p in reconciler.problems)


def _produced(service: str, topic: str, event_id: str, deadline: str, kind: str) -> ProducedFact:
    return ProducedFact(service, topic, event_id, {"deadline_id": deadline, "kind": kind})


def test_sup_02_oversights_ledger_is_counted_against_the_producers() -> None:
    """Each event a producer committed on a topic of oversight's ledger is handled by
    oversight, and each deadline fact is held once: the breach alert and the lifecycle's
    breach are one fact; a fact missing, or held without an event that owes it, is not."""
    lifecycle, alert = "deadline.lifecycle", "deadline.breached"
    produced = [
        _produced("referral", lifecycle, "e1", "d1", "started"),
        _produced("referral", lifecycle, "e2", "d1", "met"),
        _produced("referral", lifecycle, "e3", "d2", "breached"),
        _produced("referral", alert, "e4", "d2", "no-action"),  # the same breach
        _produced("assistance", lifecycle, "e5", "d3", "started"),
    ]
    handled = {f"e{n}": 1.0 for n in range(1, 6)}
    held = [
        ("referral", "d1:started"),
        ("referral", "d1:met"),
        ("referral", "d2:breached"),
        ("assistance", "d3:started"),
        ("legal-review", "d9:started"),  # not a producer of this run: not counted
    ]
    ok = count_oversight(produced, handled, held)
    assert (ok.events, ok.handled, ok.facts_owed, ok.facts_held) == (5, 5, 4, 4)
    assert (ok.lost, ok.duplicated, ok.failed) == (0, 0, False)
    assert ok.producers == ["assistance", "referral"]
    assert "5 fact events committed by assistance, referral, 5 handled" in ok.line()

    unhandled = {k: v for k, v in handled.items() if k != "e5"}
    bad = count_oversight(produced, unhandled, [*held[:2], ("referral", "d1:cancelled")])
    assert (bad.lost, bad.duplicated, bad.failed) == (3, 1, True)
    assert sorted(bad.problems) == [
        "oversight never handled deadline.lifecycle e5 of assistance",
        "oversight's ledger holds d1:cancelled of referral, owed by no event",
        "oversight's ledger lacks d2:breached of referral",
        "oversight's ledger lacks d3:started of assistance",
    ]


def test_sup_02_a_fact_lost_from_oversights_ledger_fails_the_verdict(tmp_path: Path) -> None:
    lost = count_oversight([_produced("referral", "deadline.lifecycle", "e1", "d1", "met")], {}, [])
    report = Report(
        rows={},
        problems=lost.problems,
        outbox_rows=1,
        outbox_unpublished=0,
        outbox_not_on_topic=0,
        redelivered=0,
        dead_letters=0,
        settled_in_s=0,
        oversight=lost,
    )
    outcome = Outcome(report, [], Ledger(), None, tmp_path)  # type: ignore[arg-type]
    lines = render(outcome, Options())
    assert report.failed
    assert lines[-1] == "result: FAILED: 2 lost, 0 duplicated, 0 late"  # unhandled, not held
    assert "oversight's ledger: 1 fact events committed by referral, 0 handled" in "\n".join(lines)
