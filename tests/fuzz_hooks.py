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
from schemathesis.core.jsonschema import patterns as _patterns
from schemathesis.generation.jsonschema import strategy as _strategy
from schemathesis.specs.openapi import converter as _converter

# Schemathesis folds a string's length bounds into its pattern's quantifiers (`[^…]*` with
# maxLength 20000 becomes `[^…]{0,19999}`) to draw matching lengths directly. For the long
# bounds of free text (Text 20,000, ShortText 2,000, Line 500, Name 200: xietong_common.schemas)
# over their wide character classes, the folded regex is one the validator's engine compiles
# for 0.01–0.12 s or refuses as too big, and it is compiled again for each body's strategy and
# validator: 40% of a run's CPU (joint inspection's 81 operations: 78 → 44 s, the same 5,330
# cases). Above this bound the pattern and maxLength stay two keywords, as the document states
# them; schemathesis still filters every drawn value by its length, and short bounds (codes,
# identifiers) are still folded.
LONGEST_FOLDED_BOUND = 100
_fold = _patterns.update_quantifier


def _fold_short_bounds_only(pattern: str, min_length: int | None, max_length: int | None) -> str:
    if max_length is not None and max_length > LONGEST_FOLDED_BOUND:
        return pattern
    return _fold(pattern, min_length, max_length)


for _module in (_patterns, _converter, _strategy):
    _module.update_quantifier = _fold_short_bounds_only  # type: ignore[attr-defined]

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
