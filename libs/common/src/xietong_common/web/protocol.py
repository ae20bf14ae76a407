"""What the HTTP server itself refuses is problem+json too.

uvicorn answers a request it cannot parse — a request line or headers past its limit, bytes
that are not HTTP — with its own `400 text/plain` before the app sees it. The services run
uvicorn's h11 protocol with a bound on the request head (`XIETONG_HTTP_MAX_HEAD_BYTES`: the
request line and the headers), and this subclass answers those refusals as the app answers
every other: 414 when the request line alone passes the bound (a 10,000-character search),
431 when the headers do, 400 for anything else that is not HTTP — each RFC 9457 problem+json
in Chinese and English.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from xietong_common.errors import problem_type

_REFUSALS = {
    414: (
        "uri-too-long",
        "The request line is too long",
        "请求行（网址）过长",
        "the request line (the URL and its query) is longer than the server reads",
        "请求行（网址及查询参数）超过服务器读取的上限，请缩短查询条件",
    ),
    431: (
        "request-header-fields-too-large",
        "The request headers are too large",
        "请求头过大",
        "the request headers are larger than the server reads",
        "请求头超过服务器读取的上限",
    ),
    400: (
        "bad-request",
        "The request is not valid HTTP",
        "请求不是有效的 HTTP",
        "the request could not be read as HTTP",
        "无法按 HTTP 协议读取该请求",
    ),
}


def status_of(pending: bytes, limit: int) -> int:
    """Why a request could not be read, from what had been received of it."""
    if len(pending) >= limit:
        return 414 if b"\r\n" not in pending[:limit] else 431
    return 400


def refusal(status: int, limit: int) -> bytes:
    """The problem+json body of a refusal of the server (414, 431 or 400)."""
    slug, title, title_zh, detail, detail_zh = _REFUSALS[status]
    body = {
        "type": problem_type(slug),
        "title": f"{title_zh} / {title}",
        "status": status,
        "detail": f"{detail_zh}。 {detail}; at most {limit} bytes.",
        "max_bytes": limit,
    }
    return json.dumps(body, ensure_ascii=False).encode()


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, its own refusals as problem+json (see the module)."""

    def send_400_response(self, msg: str) -> None:  # uvicorn's hook for unreadable requests
        pending, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size or 0
        status = status_of(pending, limit)
        body = refusal(status, limit)
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
