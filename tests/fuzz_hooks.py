"""Schemathesis hooks for tests/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Every operation declares which kinds of organisation may call it (`x-organisations`,
`x-access`) and refuses the others before reading its input. Fuzzed with one town's token,
a department's or the justice bureau's operations would answer 403 to every input and their
bodies would never be exercised; so each operation is called with a token of a kind it
admits, through schemathesis' auth provider (whose credentials its auth checks know how to
take away).
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

# Kind of organisation -> a token of one of that kind holding every role (set by the test).
TOKENS: dict[str, str] = json.loads(os.environ.get("XIETONG_FUZZ_TOKENS", "{}"))


def admitted_kind(operation: dict[str, Any]) -> str:
    """The first kind of organisation the operation admits; a town where any may call."""
    kinds: list[str] = list(operation.get("x-organisations") or ["*"])
    for grant in operation.get("x-access") or []:
        kinds += grant.get("organisations", [])
    if "*" in kinds or "town" in kinds:
        return "town"
    return next((kind for kind in kinds if kind in TOKENS), "town")


@schemathesis.auth()
class TokenOfAnAdmittedKind:
    def get(self, case: Any, ctx: Any) -> dict[str, str]:
        return TOKENS

    def set(self, case: Any, data: dict[str, str], ctx: Any) -> None:
        token = data[admitted_kind(ctx.operation.definition.raw)]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


if os.environ.get("XIETONG_FUZZ_LOG"):  # to see who called what: XIETONG_FUZZ_LOG=file

    @schemathesis.hook
    def after_call(ctx: Any, case: Any, response: Any) -> None:
        auth = (case.headers or {}).get("Authorization", "")
        kind = next((k for k, t in TOKENS.items() if auth == f"Bearer {t}"), auth[:12] or "-")
        with open(os.environ["XIETONG_FUZZ_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{case.operation.label} {kind} {response.status_code}\n")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """A list's `cursor` is a token only the service mints (the last row's sort keys, issue
    22): its schema can say no more than "a string", so a string generated from it is not
    valid data, and a list refuses it (422, tested with every kind of bad cursor in the
    services' own list tests). Cases meant to be accepted go without one; the others keep
    theirs, and must still never break the service."""
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and case.query and "cursor" in case.query:
        case.query = {k: v for k, v in case.query.items() if k != "cursor"}
