"""SSRF checks of a webhook URL that need the network: resolving its host (at registration)
and a connection backend that refuses private addresses at every connection (at delivery,
so a name re-pointed after registration — DNS rebinding — is refused too)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from notifier.domain import forbidden_address, scheme_refusal
from notifier.domain.targets import IPAddress
from notifier.errors import TargetRefused
from notifier.settings import NotifierSettings

RESOLVE_TIMEOUT_S = 5.0


class AddressRefused(httpcore.ConnectError):
    """A connection the guard refused: the host resolves to an address not allowed."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
    )
    return list(
        dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    )


async def public_addresses(host: str, port: int, *, exempt: Iterable[str]) -> list[IPAddress]:
    """The addresses to connect to, or AddressRefused if any is not public (unless the host
    is one the operator exempted by name)."""
    try:
        addresses = await resolve(host, port)
    except (OSError, TimeoutError, UnicodeError, ValueError) as exc:
        # UnicodeError: a name IDNA cannot encode; ValueError: a NUL or the like in it.
        raise AddressRefused(f"{host} does not resolve: {exc}") from exc
    if not addresses:
        raise AddressRefused(f"{host} does not resolve")
    if host in set(exempt):
        return addresses
    for address in addresses:
        why = forbidden_address(address)
        if why is not None:
            raise AddressRefused(f"{host} resolves to {address}, a {why} address")
    return addresses


async def check_target(url: str, settings: NotifierSettings) -> str:
    """The URL as stored, or TargetRefused (422) saying why."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(
            f"not a valid URL: {exc}", zh=f"不是有效的网址：{exc}", reason="invalid-url"
        ) from exc
    why = scheme_refusal(parts, allow_http=settings.notifier_allow_http)
    if why is not None:
        raise TargetRefused(
            why, zh="仅接受 https:// 网址，且不得含用户名、密码或片段", reason="scheme"
        )
    assert parts.hostname is not None
    try:
        await public_addresses(parts.hostname, port, exempt=settings.notifier_allowed_private_hosts)
    except AddressRefused as exc:
        raise TargetRefused(
            str(exc),
            zh="回调地址须解析为公网地址，不得指向本机、内网、链路本地或云元数据地址",
            reason="address",
        ) from exc
    return parts.geturl()


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving each host itself and connecting only to the
    public addresses it resolved to (TLS still checks the certificate against the host name,
    which httpcore passes to `start_tls` separately)."""

    def __init__(self, exempt: Iterable[str]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._exempt = frozenset(exempt)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await public_addresses(host, port, exempt=self._exempt)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("webhooks are never sent to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def webhook_client(settings: NotifierSettings) -> httpx.AsyncClient:
    """The client deliveries are sent with: the guarded backend, the delivery timeout, no
    redirects, no proxies or credentials from the environment."""
    transport = httpx.AsyncHTTPTransport(retries=0)
    # httpx takes no network backend; its pool is rebuilt around the guarded one (the same
    # arguments httpx gives it by default).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        network_backend=GuardedBackend(settings.notifier_allowed_private_hosts),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.notifier_delivery_timeout_s),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": "xietong-notifier/0.1"},
    )
