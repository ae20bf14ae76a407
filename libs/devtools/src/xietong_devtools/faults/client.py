"""Requests to the run's services over real HTTP, sent again until answered.

A request whose answer is lost (the connection reset or refused, a timeout, a 5xx while a
database restarts, 409 "still in flight" for an Idempotency-Key) is sent again with the
same headers, Idempotency-Key included, with backoff, for up to `give_up_after_s`. What
counts is the first definite answer; that an earlier attempt's answer was lost is kept
(`Answer.unknown_before`), since the lost attempt may have done the work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from xietong_devtools.faults.cluster import Cluster

log = logging.getLogger(__name__)


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
        request_timeout_s: float = 60.0,
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
