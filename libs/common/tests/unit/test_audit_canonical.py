"""The audit chain's text, as PostgreSQL is given it to hash (`_canonical_around_prev`), is
`row_hash`'s byte for byte; and an entry's detail is stored as JSON gives it back, whether
it is copied as it is (plain values) or round-tripped."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from xietong_common.audit.chain import AuditEntry, _canonical_around_prev, row_hash


class Outcome(enum.StrEnum):
    MET = "met"


class Level(enum.IntEnum):
    HIGH = 2


DETAILS: list[dict[str, Any]] = [
    {},
    {"source": "referral", "event_id": "e1", "organisation": "town-a", "late": False, "n": 3},
    {"quote": 'a"b', "backslash": "c\\d", "newline": "e\nf", "nul-ish": "\u0001\u001f"},
    {"prev": '","prev":"' + "f" * 64, "rule": None, "数字": [1, 2.5, True, None]},
    {"emoji": "🚓", "zh": "涪陵府办〔2024〕1号", "nested": {"z": 1, "a": {"b": []}}},
    {"outcome": Outcome.MET, "level": Level.HIGH, "at": datetime(2026, 1, 2, tzinfo=UTC)},
    {"ratio": 0.1, "big": 10**30, "tuple": (1, "a")},
]


@pytest.mark.parametrize("detail", DETAILS)
@pytest.mark.parametrize("rule", [None, "REF-03", 'a"\\'])
def test_sup_01_chain_text_is_row_hash_text_and_detail_is_what_json_gives_back(
    detail: dict[str, Any], rule: str | None
) -> None:
    entry = AuditEntry.of(
        at=datetime(2026, 12, 6, 23, 59, 1, 5, tzinfo=timezone(timedelta(hours=8))),
        actor='oversight/"system"',
        org="司法局",
        action="ledger.met",
        subject="ledger-deadline:\\1",
        rule=rule,
        detail=detail,
    )
    assert entry.detail == json.loads(json.dumps(detail, default=str, ensure_ascii=False))
    assert json.dumps(entry.detail, sort_keys=True, default=str) == json.dumps(
        json.loads(json.dumps(detail, default=str, ensure_ascii=False)), sort_keys=True
    )
    before, after, stored = _canonical_around_prev(entry)
    assert json.loads(stored) == entry.detail
    prev = "ab" * 32
    assert hashlib.sha256((before + prev + after).encode()).hexdigest() == row_hash(
        prev_hash=prev,
        at=entry.at,
        actor=entry.actor,
        org=entry.org,
        action=entry.action,
        subject=entry.subject,
        rule=entry.rule,
        detail=entry.detail,
    )
