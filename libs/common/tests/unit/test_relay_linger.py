"""The outbox relay's linger stretches with the rate of events (issue 22), and only then."""

from __future__ import annotations

import pytest

from xietong_common.messaging.outbox import stretched_linger
from xietong_common.settings import OUTBOX_LINGER_MAX_MS, OUTBOX_LINGER_MS, ServiceSettings

LINGER = 0.01
MOST = 0.05


@pytest.mark.parametrize("rate", [0.0, 1.0, 50.0, 99.0, 100.0, 127.0, 149.0])
def test_below_one_and_a_half_events_a_linger_the_linger_is_not_stretched(rate: float) -> None:
    """A quiet service's events, and those paced at one a linger (the backbone's 100 a
    second, whose estimated rate wanders up to ~127), wait no longer than with a fixed linger."""
    assert stretched_linger(rate, linger_s=LINGER, most_s=MOST) == pytest.approx(LINGER)


@pytest.mark.parametrize(
    ("rate", "linger"), [(150.0, 0.015), (200.0, 0.02), (300.0, 0.03), (450.0, 0.045)]
)
def test_at_n_events_a_linger_the_wait_is_n_lingers(rate: float, linger: float) -> None:
    """The busier the service, the fuller its passes: at 300 events a second a pass carries
    ~9 (30 ms of events), not 3, and costs a third as much a create."""
    assert stretched_linger(rate, linger_s=LINGER, most_s=MOST) == pytest.approx(linger)


@pytest.mark.parametrize("rate", [500.0, 2_000.0, 1e9])
def test_no_rate_stretches_the_linger_past_its_bound(rate: float) -> None:
    """An event waits at most `outbox_linger_max_ms`, however fast events come."""
    assert stretched_linger(rate, linger_s=LINGER, most_s=MOST) == pytest.approx(MOST)


def test_a_bound_below_the_linger_means_a_fixed_linger_and_zero_a_pass_each() -> None:
    """`outbox_linger_max_ms` at (or, set carelessly, below) the linger keeps the linger
    fixed; a linger of 0 is a pass for every commit, at any rate."""
    for rate in (0.0, 300.0, 1e6):
        assert stretched_linger(rate, linger_s=LINGER, most_s=LINGER) == pytest.approx(LINGER)
        assert stretched_linger(rate, linger_s=LINGER, most_s=0.0) == pytest.approx(LINGER)
        assert stretched_linger(rate, linger_s=0.0, most_s=MOST) == 0.0


def test_the_settings_default_to_a_10_ms_linger_stretching_to_50_ms() -> None:
    settings = ServiceSettings()
    assert settings.outbox_linger_ms == OUTBOX_LINGER_MS == 10
    assert settings.outbox_linger_max_ms == OUTBOX_LINGER_MAX_MS == 50
