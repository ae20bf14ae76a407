"""A mechanism's state machine as one table: step → (states it is allowed in, state after).

    TRANSITIONS = Transitions(
        {Step.SEND: ({S.DRAFT}, S.SENT), Step.REQUEST_COOPERATION: ({S.FILED}, None)},
        refuse=lambda state, step, allowed: ReferralInvalidTransition(...),
    )
    referral.state = TRANSITIONS.next(ReferralState(referral.state), Step.SEND).value

A step with no target leaves the state as it is (it is only allowed in those states). The
domain owns the table; the service layer applies it, so no use case hard-codes a state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Generic, TypeVar

from xietong_common.errors import AppError

StateT = TypeVar("StateT", bound=Enum)
StepT = TypeVar("StepT", bound=Enum)


class Transitions(Generic[StateT, StepT]):
    def __init__(
        self,
        table: Mapping[StepT, tuple[Iterable[StateT], StateT | None]],
        *,
        refuse: Callable[[StateT, StepT, frozenset[StateT]], AppError],
    ) -> None:
        self._table = {
            step: (frozenset(allowed), target) for step, (allowed, target) in table.items()
        }
        self._refuse = refuse
        named = [
            s
            for allowed, target in self._table.values()
            for s in (*allowed, target)
            if s is not None
        ]
        self.states: type[StateT] = type(named[0])

    def state_of(self, value: str) -> StateT:
        """The state a record's column holds."""
        return self.states(value)

    def allowed_in(self, step: StepT) -> frozenset[StateT]:
        return self._table[step][0]

    def target(self, step: StepT) -> StateT | None:
        return self._table[step][1]

    def next(self, state: StateT, step: StepT) -> StateT:
        """The state after `step`, or the mechanism's refusal naming the states it needs."""
        allowed, target = self._table[step]
        if state not in allowed:
            raise self._refuse(state, step, allowed)
        return target if target is not None else state

    def steps_from(self, state: StateT) -> list[StepT]:
        """What can be done in `state` (as far as the state alone decides)."""
        return [step for step, (allowed, _) in self._table.items() if state in allowed]
