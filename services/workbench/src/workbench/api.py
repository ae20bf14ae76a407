"""The services' public REST APIs, called with the signed-in person's token.

The workbench is a client like any other platform: it never reads a service's database or
Kafka, and it judges nothing the API judges — whatever a service refuses comes back as its
RFC 9457 problem (in the person's language, through `Accept-Language`) and is shown as is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

Lang = str  # "zh" | "en"


class ApiProblem(Exception):
    """A service refused (4xx) or failed (5xx): its problem+json, as it sent it."""

    def __init__(self, service: str, status: int, body: Mapping[str, Any]) -> None:
        self.service = service
        self.status = status
        self.body = dict(body)
        super().__init__(f"{service}: {status} {self.title}: {self.detail}")

    @property
    def title(self) -> str:
        return str(self.body.get("title") or "")

    @property
    def detail(self) -> str:
        return str(self.body.get("detail") or self.body.get("title") or "")

    @property
    def type(self) -> str:
        return str(self.body.get("type") or "")

    @property
    def errors(self) -> list[dict[str, Any]]:
        found = self.body.get("errors")
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


class ServiceUnavailable(ApiProblem):
    """The service did not answer (not deployed, down, or too slow)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(
            service,
            503,
            {
                "title": "服务暂不可用",
                "detail": reason,
                "type": "urn:xietong:workbench:unavailable",
            },
        )


@dataclass(frozen=True)
class Download:
    """A file a service streams back (a material), passed through to the browser."""

    content: bytes
    content_type: str
    disposition: str | None


@dataclass
class Api:
    """One person's view of the services: their token and language on every call."""

    client: httpx.AsyncClient
    urls: Mapping[str, str]
    token: str | None
    lang: Lang = "zh"
    calls: list[str] = field(default_factory=list)

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Accept": "application/json, application/problem+json",
            "Accept-Language": "en, zh;q=0.5" if self.lang == "en" else "zh-CN, zh;q=0.9",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        base = self.urls.get(service)
        if base is None:
            raise ServiceUnavailable(service, f"no URL is configured for {service}")
        extra = dict(headers or {})
        if idempotency_key:
            extra["Idempotency-Key"] = idempotency_key
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [])}
        self.calls.append(f"{method} {service}{path}")
        try:
            response = await self.client.request(
                method,
                base + path,
                # None, not {}: httpx replaces a path's own query with an empty mapping (an
                # export's `?period=` was lost that way).
                params=clean or None,
                json=json,
                data=data,
                files=files,
                headers=self._headers(extra),
            )
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(service, f"{service} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(service, f"{service} cannot be reached: {exc}") from exc
        if response.status_code >= 400:
            raise ApiProblem(service, response.status_code, _problem_body(response))
        return response

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.request(service, "GET", path, params=params)).json()

    async def post(
        self,
        service: str,
        path: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        response = await self.request(
            service,
            "POST",
            path,
            json=body if body is not None else {},
            idempotency_key=idempotency_key,
            params=params,
        )
        return _json_or_none(response)

    async def patch(self, service: str, path: str, body: Any) -> Any:
        return _json_or_none(await self.request(service, "PATCH", path, json=body))

    async def put(self, service: str, path: str, body: Any) -> Any:
        return _json_or_none(await self.request(service, "PUT", path, json=body))

    async def delete(self, service: str, path: str) -> Any:
        return _json_or_none(await self.request(service, "DELETE", path))

    async def upload(
        self,
        service: str,
        path: str,
        *,
        file: tuple[str, bytes, str],
        fields: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        response = await self.request(
            service,
            "POST",
            path,
            data={k: v for k, v in (fields or {}).items() if v not in (None, "")},
            files={"file": file},
            idempotency_key=idempotency_key,
            params=params,
        )
        return _json_or_none(response)

    async def download(self, service: str, path: str, **params: Any) -> Download:
        response = await self.request(service, "GET", path, params=params)
        return Download(
            content=response.content,
            content_type=response.headers.get("content-type", "application/octet-stream"),
            disposition=response.headers.get("content-disposition"),
        )

    async def available(self, service: str) -> bool:
        """Whether the service answers its liveness check (a feature check, not a gate)."""
        base = self.urls.get(service)
        if base is None:
            return False
        try:
            response = await self.client.get(base + "/healthz", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def _json_or_none(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def _problem_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"title": response.reason_phrase, "detail": response.text[:500]}


def new_idempotency_key() -> str:
    """Put in a form when it is drawn, so submitting it twice creates one record."""
    return str(uuid.uuid4())
