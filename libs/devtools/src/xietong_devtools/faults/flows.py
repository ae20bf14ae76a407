"""The flows of the load, over the services' public REST APIs, entered in the ledger.

Each flow runs whole, each as the people who do it (tokens as `xietong token` mints
them), over real HTTP:

- **referral**: a town drafts a referral to the department with jurisdiction, attaches the
  letter and the item list, sends it (`case.referred`);
- **review, opinion (4)**: a town's brigade submits a decision for legal review, the reviewer
  takes it, checks the nine points and finds the matter is another agency's (REV-07 opinion
  4): the referral service drafts the referral from `review.opinion` (REF-01);
- **review, decided**: the same, the reviewer agrees and the head decides as proposed
  (REV-08): information sharing makes the category-4 item for the department that asked for
  feedback on the matter (INFO-04) from `review.decided`;
- **assistance**: a town asks a department for help and submits the request;
- **roster**: a department creates a secondment team and edits it (SEC-02): each version
  travels as `secondment.roster-changed` into the roster projections of joint inspection
  and assistance (SEC-04).

Every create carries an Idempotency-Key, so a request whose answer was lost (the service
was killed, paused, or its database restarted) is simply sent again. A step that is not a
create and whose answer was lost is sent again too; if the service then says it is already
done (409), the harness reads the resource to see whether the lost attempt did it.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from xietong_devtools.faults.client import Answer, Api, GaveUp, Refused
from xietong_devtools.faults.ledger import Kind, Ledger
from xietong_devtools.files_corpus import pdf_bytes

TOWN = "town:lizhi"
# Reviews of a matter the town may decide (URB-002, 随意倾倒建筑垃圾, owned by the urban
# management bureau, which asks for feedback on it) and of one it may not (ENV-001, the
# ecology bureau's: opinion 4 sends it there).
DECIDED_MATTER = "URB-002"
DECIDED_MATTER_OWNER = "dept:urban-management"
TRANSFER_MATTER = "ENV-001"
TRANSFER_TO = "dept:ecology-environment"
REFERRAL_MATTER = "ENV-001"
# A town-level matter of the ecology bureau (露天焚烧): the town asks it for testing.
ASSISTANCE_MATTER = "ENV-002"
# Departments seconding staff in zones (划片): a team serves two or more towns.
ROSTER_DEPARTMENTS = ("dept:water", "dept:agriculture", "dept:forestry")
ROSTER_TOWNS = ["town:lizhi", "town:jiangbei"]
REVIEW_POINTS = (
    "lawful-body",
    "jurisdiction",
    "facts-and-evidence",
    "law-applied",
    "discretion",
    "within-powers",
    "procedure",
    "documents",
    "no-crime",
)


def _marker() -> str:
    return uuid.uuid4().hex[:12]


def _now() -> float:
    return time.time()


@dataclass
class Recorder:
    """Enters what the services answered in the ledger."""

    ledger: Ledger

    async def step(
        self,
        kind: Kind | None,
        ref: str,
        answer: Answer,
        *,
        done: Callable[[], Awaitable[bool]] | None = None,
        what: str,
        **detail: Any,
    ) -> bool:
        """Enter an answered step in the ledger (if it is a `kind`); True if it was done.

        A 4xx after an attempt whose answer was lost may mean the lost attempt did it: then
        `done()` reads the resource to say; the step is entered as unacknowledged."""
        if answer.ok:
            if kind is not None:
                self.ledger.accepted(kind, ref, _now(), retried=answer.unknown_before, **detail)
            return True
        if answer.unknown_before and done is not None and await done():
            if kind is not None:
                self.ledger.unacknowledged(kind, ref, _now(), found="applied", **detail)
            return True
        raise Refused(f"{what}: {answer.status} {answer.body}")

    async def lost(self, kind: Kind, ref: str, exc: GaveUp, **detail: Any) -> None:
        self.ledger.unacknowledged(kind, ref, _now(), found="no answer", error=str(exc), **detail)


# -- referral ------------------------------------------------------------------------


async def referral(api: Api, record: Recorder) -> None:
    """A town drafts a referral, attaches the letter and the item list, sends it."""
    town = api.headers(TOWN, "handler", user="lizhi/zhang")
    marker = _marker()
    body = {
        "matter_code": REFERRAL_MATTER,
        "place_town": TOWN,
        "found_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "facts": f"巡查发现企业向河道直排污水（{marker}）",
        "party": {"name": "某某化工有限公司", "kind": "legal-person"},
    }
    try:
        created = await api.call(
            "referral", "POST", "/referrals", headers=town, json=body, key=f"ref-{marker}"
        )
    except GaveUp as exc:
        await record.lost(Kind.REFERRAL_CREATED, marker, exc)
        raise
    await record.step(Kind.REFERRAL_CREATED, marker, created, what="create referral")
    rid = created.body["id"]
    for kind in ("letter", "item-list"):
        uploaded = await api.call(
            "referral",
            "POST",
            f"/referrals/{rid}/materials",
            headers=town,
            form={"kind": kind},
            upload=(f"{kind}.pdf", pdf_bytes(f"{marker} {kind}"), "application/pdf"),
            key=f"ref-{marker}-{kind}",
        )
        await record.step(None, rid, uploaded, what=f"referral {kind}")

    async def sent() -> bool:
        got = await api.get("referral", f"/referrals/{rid}", headers=town)
        return bool(got["state"]["value"] != "draft")

    try:
        answer = await api.call("referral", "POST", f"/referrals/{rid}/send", headers=town)
    except GaveUp as exc:
        await record.lost(Kind.REFERRAL_SENT, rid, exc)
        raise
    await record.step(Kind.REFERRAL_SENT, rid, answer, done=sent, what="send referral")


# -- legal review --------------------------------------------------------------------


async def review(api: Api, record: Recorder, *, transfer: bool) -> None:
    """A town's decision through legal review: opinion (4), or agreed and decided."""
    handler = api.headers(TOWN, "handler", user="lizhi/li.handler")
    reviewer = api.headers(TOWN, "reviewer", user="lizhi/wang.reviewer")
    head = api.headers(TOWN, "head", user="lizhi/zhao.head")
    marker = _marker()
    case_number = f"涪荔综执立〔2024〕{marker}号"
    body = {
        "case_number": case_number,
        "matter_code": TRANSFER_MATTER if transfer else DECIDED_MATTER,
        "place_town": TOWN,
        "found_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
        "facts": "企业向长江支流直排未经处理的废水"
        if transfer
        else "当事人在江边随意倾倒建筑垃圾约20立方米",
        "party": {"name": "某建材公司", "kind": "legal-person"},
        "decision": {"fine": "50000.00"},
        "proposal": "拟对当事人罚款50000元",
    }
    try:
        submitted = await api.call(
            "legal-review", "POST", "/reviews", headers=handler, json=body, key=f"rev-{marker}"
        )
    except GaveUp as exc:
        await record.lost(Kind.REVIEW_SUBMITTED, case_number, exc)
        raise
    await record.step(Kind.REVIEW_SUBMITTED, case_number, submitted, what="submit review")
    rid = submitted.body["id"]
    for kind in ("investigation-report", "proposed-decision", "evidence"):  # REV-04
        uploaded = await api.call(
            "legal-review",
            "POST",
            f"/reviews/{rid}/materials",
            headers=handler,
            form={"kind": kind},
            upload=(f"{kind}.pdf", pdf_bytes(f"{marker} {kind}"), "application/pdf"),
            key=f"rev-{marker}-{kind}",
        )
        await record.step(None, rid, uploaded, what=f"review {kind}")

    async def state_is(*states: str) -> bool:
        got = await api.get("legal-review", f"/reviews/{rid}", headers=reviewer)
        return str(got["state"]["value"]) in states

    taken = await api.call("legal-review", "POST", f"/reviews/{rid}/take", headers=reviewer)
    await record.step(None, rid, taken, done=lambda: state_is("under-review"), what="take review")
    for point in REVIEW_POINTS:
        failed = transfer and point == "jurisdiction"
        checked = await api.call(
            "legal-review",
            "PUT",
            f"/reviews/{rid}/points/{point}",
            headers=reviewer,
            json={
                "passed": not failed,
                "note": "不属本机关执法权限" if failed else "符合规定",
            },
        )
        await record.step(None, rid, checked, what=f"point {point}")
    opinion: dict[str, Any] = (
        {
            "opinion": "transfer-to-competent-agency",
            "reasons": "不属于本机关执法权限",
            "transfer_to": TRANSFER_TO,
        }
        if transfer
        else {"opinion": "agree", "reasons": "事实清楚，证据确凿"}
    )
    entered = Kind.OPINION_TRANSFER if transfer else None
    try:
        given = await api.call(
            "legal-review", "POST", f"/reviews/{rid}/opinion", headers=reviewer, json=opinion
        )
    except GaveUp as exc:
        if entered is not None:
            await record.lost(entered, rid, exc)
        raise
    await record.step(
        entered,
        rid,
        given,
        done=lambda: state_is("opinion-given", "decided"),
        what="give opinion",
    )
    if transfer:
        return
    try:
        decided = await api.call(
            "legal-review",
            "POST",
            f"/reviews/{rid}/decision",
            headers=head,
            json={
                "outcome": "decided-as-proposed",
                "decision_number": f"涪荔综执罚决〔2024〕{marker}号",
                "execution": "当事人已缴纳罚款",
            },
        )
    except GaveUp as exc:
        await record.lost(Kind.REVIEW_DECIDED, rid, exc)
        raise

    async def decided_already() -> bool:
        got = await api.get("legal-review", f"/reviews/{rid}", headers=head)
        return bool(got["decision"])

    await record.step(Kind.REVIEW_DECIDED, rid, decided, done=decided_already, what="decide review")


# -- assistance ----------------------------------------------------------------------


async def assistance(api: Api, record: Recorder) -> None:
    """A town asks the ecology bureau for testing and submits the request."""
    matter = ASSISTANCE_MATTER
    town = api.headers(TOWN, "handler", user="lizhi/chen")
    marker = _marker()
    body = {
        "matter_code": matter,
        "ground": "technical-support",
        "needed": f"请协助对焚烧残留物取样检测，出具检测报告（{marker}）",
    }
    try:
        created = await api.call(
            "assistance",
            "POST",
            "/assistance-requests",
            headers=town,
            json=body,
            key=f"ast-{marker}",
        )
    except GaveUp as exc:
        await record.lost(Kind.ASSISTANCE_REQUESTED, marker, exc)
        raise
    if not created.ok:
        raise Refused(f"create assistance request: {created.status} {created.body}")
    rid = created.body["id"]

    async def submitted() -> bool:
        got = await api.get("assistance", f"/assistance-requests/{rid}", headers=town)
        return bool(got["state"]["value"] != "draft")

    try:
        answer = await api.call(
            "assistance", "POST", f"/assistance-requests/{rid}/submit", headers=town
        )
    except GaveUp as exc:
        await record.lost(Kind.ASSISTANCE_REQUESTED, marker, exc, id=rid)
        raise
    await record.step(
        Kind.ASSISTANCE_REQUESTED,
        marker,
        answer,
        done=submitted,
        what="submit assistance request",
        id=rid,
    )


# -- secondment roster ---------------------------------------------------------------


async def roster(api: Api, record: Recorder, *, edits: int = 2) -> None:
    """A department creates a team and edits it: a roster version each time."""
    department = random.choice(ROSTER_DEPARTMENTS)
    admin = api.headers(department, "admin", user=f"{department}/admin")
    marker = _marker()
    name = f"故障演练片区指导队{marker}"
    body = {"name": name, "towns": ROSTER_TOWNS, "valid_from": date.today().isoformat()}
    try:
        created = await api.call(
            "secondment", "POST", "/teams", headers=admin, json=body, key=f"team-{marker}"
        )
    except GaveUp as exc:
        await record.lost(Kind.ROSTER_CHANGED, f"{name}:1", exc, name=name)
        raise
    if not created.ok:
        raise Refused(f"create team: {created.status} {created.body}")
    team = created.body["id"]
    record.ledger.accepted(
        Kind.ROSTER_CHANGED,
        f"{team}:1",
        _now(),
        team=team,
        version=1,
        name=name,
        retried=created.unknown_before,
    )
    for n in range(edits):
        change = {"leader": f"队长{marker[:4]}{n}", "reason": "人员调整"}
        try:
            edited = await api.call(
                "secondment", "PATCH", f"/teams/{team}", headers=admin, json=change
            )
        except GaveUp as exc:  # this edit would have made version n + 2
            await record.lost(Kind.ROSTER_CHANGED, f"{team}:{n + 2}", exc, team=team, version=n + 2)
            raise
        if not edited.ok:
            raise Refused(f"edit team: {edited.status} {edited.body}")
        # Sent again after a lost answer, the same change is no change: the answer names
        # the version either attempt made.
        version = int(edited.body["version"])
        record.ledger.accepted(
            Kind.ROSTER_CHANGED,
            f"{team}:{version}",
            _now(),
            team=team,
            version=version,
            name=name,
            retried=edited.unknown_before,
        )


Flow = Callable[[Api, Recorder], Awaitable[None]]

FLOWS: dict[str, Flow] = {
    "referral": referral,
    "review-transfer": functools.partial(review, transfer=True),
    "review-decided": functools.partial(review, transfer=False),
    "assistance": assistance,
    "roster": roster,
}
