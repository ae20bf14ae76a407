"""监管对象 (inspection targets) and their risk (INSP-02). No I/O.

An enterprise or other organisation is known by its unified social credit code (GB 32100);
a person by an identity number that is never stored: only a keyed digest (to recognise the
same person again) and the masked form (what anyone is shown).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from xietong_common.labels import LabelledEnum
from xietong_common.parties import PartyKind, mask_identity, normalise_identity


class SupervisionLevel(LabelledEnum):
    """监管等级: the credit-risk classes of 信用风险分类监管 (A lowest risk … D highest)."""

    A = "a", "A类（信用风险低）", "class A (low credit risk)"
    B = "b", "B类（信用风险一般）", "class B (ordinary credit risk)"
    C = "c", "C类（信用风险较高）", "class C (higher credit risk)"
    D = "d", "D类（信用风险高）", "class D (high credit risk)"


class SignalKind(LabelledEnum):
    """INSP-02: where a risk signal comes from."""

    PROBLEM_LIST = "problem-list", "八张问题清单", "problem lists (八张问题清单)"
    COMPLAINT = "complaint", "投诉举报", "complaint or report"
    MEDIA = "media", "媒体报道、网络评论", "media report or online comment"
    PAST_FINDING = "past-finding", "既往检查发现的问题", "problem found by a past inspection"


@dataclass(frozen=True)
class Identity:
    """What is kept of a party's number: the checked code (organisations) or, for a person,
    a keyed digest and the masked form only."""

    credit_code: str | None
    identity_digest: str | None
    identity_masked: str | None


def identity_of(kind: PartyKind, number: str, *, key: bytes) -> Identity:
    """Check the number (GB 32100 for organisations, GB 11643 for a resident ID: IdentityError
    names the position at fault) and keep only what the register needs."""
    value = normalise_identity(kind, number)
    if kind.is_organisation:
        return Identity(credit_code=value, identity_digest=None, identity_masked=None)
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return Identity(credit_code=None, identity_digest=digest, identity_masked=mask_identity(value))


@dataclass(frozen=True)
class RiskPolicy:
    """INSP-02: how far back signals count, and how long a record must be clean (settings)."""

    risk_window_days: int
    clean_record_days: int

    def risk_from(self, day: date) -> date:
        """Signals observed after this day count towards the risk."""
        return day - timedelta(days=self.risk_window_days)

    def clean_from(self, day: date) -> date:
        """A target supervised since this day or earlier, with no signal after it, is clean."""
        return day - timedelta(days=self.clean_record_days)


@dataclass(frozen=True)
class Risk:
    """INSP-02: a target's risk now, and whether it is 守法诚信 (a clean record)."""

    risk: int
    law_abiding: bool


@dataclass(frozen=True)
class Signal:
    observed_on: date
    weight: int


def risk_score(signals: Iterable[Signal], *, policy: RiskPolicy, day: date) -> int:
    """INSP-02: the weights of the signals observed within the risk window, summed."""
    start = policy.risk_from(day)
    return sum(s.weight for s in signals if start < s.observed_on <= day)


NEVER_CLEAN_LEVELS = frozenset({"c", "d"})
"""INSP-02: classes C and D (信用风险较高/高) are never 守法诚信: no signal on record is not a
clean record for a target the credit classification puts at higher risk."""


def is_law_abiding(
    *,
    supervised_since: date,
    registered_on: date,
    level: str,
    signals: Iterable[Signal],
    policy: RiskPolicy,
    day: date,
) -> bool:
    """INSP-02 守法诚信: not class C or D, watched for the whole clean-record period, with no
    signal in it. Watched since max(supervised_since, registered_on): a register imported
    today with old 纳入监管日期 has no record in the platform yet, and a target registered
    yesterday is not clean (no dodging by re-registering)."""
    start = policy.clean_from(day)
    return (
        level not in NEVER_CLEAN_LEVELS
        and max(supervised_since, registered_on) <= start
        and not any(start < s.observed_on <= day for s in signals)
    )
