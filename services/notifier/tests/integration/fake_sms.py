"""A local fake of the district's SMS gateway (短信网关), as the `sms-gateway` format expects
one (docs/webhooks.md, "SMS gateway"): it checks the Standard Webhooks signature with the
subscription's secret, refuses a message not of the documented shape (400), and keeps what
it would have sent. Started by the tests on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

# The documented shape: every key, its type.
SHAPE: dict[str, type] = {
    "id": str,
    "organisation": str,
    "kind": str,
    "rule": str,
    "text": str,
    "created_at": str,
}
MAX_TEXT = 500  # characters a gateway accepts in one (long, split) message


@dataclass
class FakeSmsGateway:
    """Answers 200 `{"code": "OK"}` to a signed, well-formed message and keeps it; 401 to a
    bad signature, 400 to a malformed message."""

    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)  # path -> subscription secret
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _check(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        secret = self.secrets.get(path)
        if secret is None:
            return 404, "no such account"
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError as exc:
            return 401, f"bad signature: {exc}"
        try:
            message = json.loads(body)
        except ValueError:
            return 400, "not JSON"
        if set(message) != set(SHAPE) or not all(
            isinstance(message[k], t) for k, t in SHAPE.items()
        ):
            return 400, f"not the documented shape: {sorted(message)}"
        if not 0 < len(message["text"]) <= MAX_TEXT:
            return 400, "text empty or too long"
        self.sent.append(message)
        return 200, "OK"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, code = self._check(scope["path"], headers, body)
        if status != 200:
            self.refused.append((status, code))
        answer = json.dumps({"code": code}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})
