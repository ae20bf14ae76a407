"""States of a webhook delivery (推送) and when to try again. No I/O."""

from __future__ import annotations

from notifier.errors import DeliveryInvalidTransition
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.states import Transitions


class DeliveryState(LabelledEnum):
    """Where a delivery stands."""

    PENDING = "pending", "待推送", "waiting for its next attempt"
    DELIVERED = "delivered", "已送达", "the receiver answered 2xx"
    DEAD = "dead", "推送失败", "every attempt failed: dead-lettered until an admin redelivers it"


class Step(LabelledEnum):
    """What can happen to a delivery."""

    SUCCEED = "succeed", "送达", "the receiver acknowledged it (2xx)"
    FAIL = "fail", "推送失败", "an attempt failed; tried again later"
    GIVE_UP = "give-up", "停止重试", "the last allowed attempt failed"
    REDELIVER = "redeliver", "重新推送", "an admin asks for it to be sent again"


def _refuse(state: DeliveryState, step: Step, allowed: frozenset[DeliveryState]) -> AppError:
    needs = "、".join(sorted(s.label_zh for s in allowed))
    return DeliveryInvalidTransition(
        f"a {state.value} delivery cannot {step.value}; it must be "
        f"{' or '.join(sorted(s.value for s in allowed))}",
        zh=f"{state.label_zh}的推送记录不能{step.label_zh}，须为{needs}",
        state=state.value,
    )


S = DeliveryState
TRANSITIONS: Transitions[DeliveryState, Step] = Transitions(
    {
        Step.SUCCEED: ([S.PENDING], S.DELIVERED),
        Step.FAIL: ([S.PENDING], S.PENDING),
        Step.GIVE_UP: ([S.PENDING], S.DEAD),
        # A delivered one too: the receiver lost it (and dedupes on webhook-id if not).
        Step.REDELIVER: ([S.DEAD, S.DELIVERED], S.PENDING),
    },
    refuse=_refuse,
)


def backoff_s(failed_attempts: int, *, initial_s: float, max_s: float) -> float:
    """Seconds to wait after the `failed_attempts`-th failure: `initial_s`, doubled after
    each further failure, never more than `max_s` (exponential backoff)."""
    if failed_attempts < 1:
        return 0.0
    # Bound the exponent: 2**64 seconds is already past any max_s.
    return float(min(initial_s * 2 ** min(failed_attempts - 1, 64), max_s))


def recipients(organisation: str, counterparty: str | None, *, breached: bool) -> tuple[str, ...]:
    """Who is told of a deadline event: the organisation that owes the action; for a breach,
    also the counterparty kept waiting (both are parties of the record and see it through
    the REST API, so neither learns anything it could not read there)."""
    if breached and counterparty and counterparty != organisation:
        return (organisation, counterparty)
    return (organisation,)
