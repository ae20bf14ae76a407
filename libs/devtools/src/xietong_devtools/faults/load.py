"""A steady mixed load over the services' public REST APIs, entered in the ledger.

Workers run whole flows, each as the people who do it (tokens as `xietong token` mints
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

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from xietong_devtools.faults.cluster import Cluster
from xietong_devtools.faults.ledger import Kind, Ledger

log = logging.getLogger(__name__)

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
PDF = b"%PDF-1.4 fault harness document\n"


class GaveUp(Exception):
    """No answer within the harness's bound (the outcome of the last attempt is unknown)."""


class Refused(Exception):
    """The service refused a step the flow expected to succeed (a harness or service bug)."""


@dataclass
class Answer:
    status: int
    body: Any
    unknown_before: bool  # an earlier attempt's outcome was not known

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Stats:
    flows: Counter[str] = field(default_factory=Counter)
    flows_failed: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    unknown: int = 0  # attempts whose outcome was not known (reset, timeout, 5xx)
    server_errors: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class Api:
    """Requests to the run's services, retried until answered or the bound passes."""

    def __init__(
        self,
        cluster: Cluster,
        http: httpx.AsyncClient,
        stats: Stats,
        *,
        request_timeout_s: float = 15.0,
        give_up_after_s: float = 180.0,
    ) -> None:
        self.cluster = cluster
        self.http = http
        self.stats = stats
        self.request_timeout_s = request_timeout_s
        self.give_up_after_s = give_up_after_s

    def headers(self, org: str, *roles: str, user: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.cluster.token(org, *roles, user=user)}"}

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        upload: tuple[str, bytes, str] | None = None,
        form: dict[str, str] | None = None,
        key: str | None = None,
    ) -> Answer:
        """Send until a definite answer: a 2xx, or a 4xx other than 'still in flight'."""
        sent_headers = dict(headers)
        if key is not None:
            sent_headers["Idempotency-Key"] = key
        deadline = time.monotonic() + self.give_up_after_s
        unknown = False
        delay = 0.25
        while True:
            url = self.cluster.processes[service].url + path
            files = {"file": upload} if upload is not None else None
            self.stats.requests += 1
            try:
                r = await self.http.request(
                    method,
                    url,
                    json=json,
                    files=files,
                    data=form,
                    headers=sent_headers,
                    timeout=self.request_timeout_s,
                )
            except httpx.TransportError as exc:  # reset, refused, timed out: outcome unknown
                self.stats.unknown += 1
                unknown = True
                log.debug("%s %s %s: %s", service, method, path, exc)
            else:
                in_flight = r.status_code == 409 and "in-flight" in r.text
                if r.status_code < 500 and not in_flight:
                    body = r.json() if r.content else None
                    return Answer(r.status_code, body, unknown)
                if r.status_code >= 500:
                    self.stats.server_errors[
                        f"{service} {method} {_shape(path)} {r.status_code}"
                    ] += 1
                self.stats.unknown += 1
                unknown = True
            if time.monotonic() > deadline:
                raise GaveUp(
                    f"{service} {method} {path}: no answer in {self.give_up_after_s:.0f} s"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)

    async def get(self, service: str, path: str, *, headers: dict[str, str]) -> Any:
        answer = await self.call(service, "GET", path, headers=headers)
        if not answer.ok:
            raise Refused(f"GET {service} {path}: {answer.status} {answer.body}")
        return answer.body


def _shape(path: str) -> str:
    """The path with ids replaced, for counting errors by route."""
    return "/".join(
        "{id}" if len(part) == 36 and part.count("-") == 4 else part for part in path.split("/")
    )


def _marker() -> str:
    return uuid.uuid4().hex[:12]


def _now() -> float:
    return time.time()


class Flows:
    """The flows; each enters what it was told in the ledger."""

    def __init__(self, api: Api, ledger: Ledger) -> None:
        self.api = api
        self.ledger = ledger

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

    async def referral(self) -> None:
        api = self.api
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
            await self.lost(Kind.REFERRAL_CREATED, marker, exc)
            raise
        await self.step(Kind.REFERRAL_CREATED, marker, created, what="create referral")
        rid = created.body["id"]
        for kind in ("letter", "item-list"):
            uploaded = await api.call(
                "referral",
                "POST",
                f"/referrals/{rid}/materials",
                headers=town,
                form={"kind": kind},
                upload=(f"{kind}.pdf", PDF + marker.encode() + kind.encode(), "application/pdf"),
                key=f"ref-{marker}-{kind}",
            )
            await self.step(None, rid, uploaded, what=f"referral {kind}")

        async def sent() -> bool:
            got = await api.get("referral", f"/referrals/{rid}", headers=town)
            return bool(got["state"]["value"] != "draft")

        try:
            answer = await api.call("referral", "POST", f"/referrals/{rid}/send", headers=town)
        except GaveUp as exc:
            await self.lost(Kind.REFERRAL_SENT, rid, exc)
            raise
        await self.step(Kind.REFERRAL_SENT, rid, answer, done=sent, what="send referral")

    # -- legal review --------------------------------------------------------------------

    async def review(self, *, transfer: bool) -> None:
        api = self.api
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
            await self.lost(Kind.REVIEW_SUBMITTED, case_number, exc)
            raise
        await self.step(Kind.REVIEW_SUBMITTED, case_number, submitted, what="submit review")
        rid = submitted.body["id"]
        for kind in ("investigation-report", "proposed-decision", "evidence"):  # REV-04
            uploaded = await api.call(
                "legal-review",
                "POST",
                f"/reviews/{rid}/materials",
                headers=handler,
                form={"kind": kind},
                upload=(f"{kind}.pdf", PDF + marker.encode() + kind.encode(), "application/pdf"),
                key=f"rev-{marker}-{kind}",
            )
            await self.step(None, rid, uploaded, what=f"review {kind}")

        async def state_is(*states: str) -> bool:
            got = await api.get("legal-review", f"/reviews/{rid}", headers=reviewer)
            return str(got["state"]["value"]) in states

        taken = await api.call("legal-review", "POST", f"/reviews/{rid}/take", headers=reviewer)
        await self.step(None, rid, taken, done=lambda: state_is("under-review"), what="take review")
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
            await self.step(None, rid, checked, what=f"point {point}")
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
                await self.lost(entered, rid, exc)
            raise
        await self.step(
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
            await self.lost(Kind.REVIEW_DECIDED, rid, exc)
            raise

        async def decided_already() -> bool:
            got = await api.get("legal-review", f"/reviews/{rid}", headers=head)
            return bool(got["decision"])

        await self.step(
            Kind.REVIEW_DECIDED, rid, decided, done=decided_already, what="decide review"
        )

    # -- assistance ----------------------------------------------------------------------

    async def assistance(self, matter: str) -> None:
        api = self.api
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
            await self.lost(Kind.ASSISTANCE_REQUESTED, marker, exc)
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
            await self.lost(Kind.ASSISTANCE_REQUESTED, marker, exc, id=rid)
            raise
        await self.step(
            Kind.ASSISTANCE_REQUESTED,
            marker,
            answer,
            done=submitted,
            what="submit assistance request",
            id=rid,
        )

    # -- secondment roster ---------------------------------------------------------------

    async def roster(self, edits: int) -> None:
        api = self.api
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
            await self.lost(Kind.ROSTER_CHANGED, f"{name}:1", exc, name=name)
            raise
        if not created.ok:
            raise Refused(f"create team: {created.status} {created.body}")
        team = created.body["id"]
        self.ledger.accepted(
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
                await self.lost(
                    Kind.ROSTER_CHANGED, f"{team}:{n + 2}", exc, team=team, version=n + 2
                )
                raise
            if not edited.ok:
                raise Refused(f"edit team: {edited.status} {edited.body}")
            # Sent again after a lost answer, the same change is no change: the answer names
            # the version either attempt made.
            version = int(edited.body["version"])
            self.ledger.accepted(
                Kind.ROSTER_CHANGED,
                f"{team}:{version}",
                _now(),
                team=team,
                version=version,
                name=name,
                retried=edited.unknown_before,
            )


@dataclass
class Load:
    """Workers running flows until told to stop."""

    cluster: Cluster
    ledger: Ledger
    workers: int = 4
    think_s: float = 0.2
    weights: dict[str, int] = field(
        default_factory=lambda: {
            "referral": 3,
            "review-transfer": 2,
            "review-decided": 2,
            "assistance": 2,
            "roster": 2,
        }
    )
    stats: Stats = field(default_factory=Stats)

    async def setup(self, api: Api) -> None:
        """What the flows need before they start: the urban management bureau asks for
        feedback on its matter (INFO-04), so a decision on it becomes an item."""
        asked = await api.call(
            "info-sharing",
            "POST",
            "/feedback-requests",
            headers=api.headers(DECIDED_MATTER_OWNER, "clerk"),
            json={"matter_code": DECIDED_MATTER},
            key=f"fb-{self.cluster.run_id}",
        )
        if not asked.ok:
            raise Refused(f"feedback request: {asked.status} {asked.body}")

    async def run(self, stop: asyncio.Event, *, request_timeout_s: float = 15.0) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(limits=limits) as http:
            api = Api(self.cluster, http, self.stats, request_timeout_s=request_timeout_s)
            await self.setup(api)
            flows = Flows(api, self.ledger)
            await asyncio.gather(*(self._worker(n, flows, stop) for n in range(self.workers)))

    async def _worker(self, n: int, flows: Flows, stop: asyncio.Event) -> None:
        rng = random.Random(n)
        names = list(self.weights)
        weights = [self.weights[k] for k in names]
        while not stop.is_set():
            name = rng.choices(names, weights)[0]
            self.stats.flows[name] += 1
            try:
                await self._flow(flows, name)
            except (GaveUp, Refused) as exc:
                self.stats.flows_failed[name] += 1
                self.stats.failures.append(f"{name}: {exc}")
                log.warning("flow %s failed: %s", name, exc)
            except Exception as exc:  # a harness bug must not stop the other workers
                self.stats.flows_failed[name] += 1
                self.stats.failures.append(f"{name}: {type(exc).__name__}: {exc}")
                log.exception("flow %s broke", name)
            with_jitter = self.think_s * (0.5 + rng.random())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), with_jitter)

    async def _flow(self, flows: Flows, name: str) -> None:
        if name == "referral":
            await flows.referral()
        elif name == "review-transfer":
            await flows.review(transfer=True)
        elif name == "review-decided":
            await flows.review(transfer=False)
        elif name == "assistance":
            await flows.assistance(ASSISTANCE_MATTER)
        elif name == "roster":
            await flows.roster(edits=2)
        else:
            raise ValueError(f"unknown flow {name}")
