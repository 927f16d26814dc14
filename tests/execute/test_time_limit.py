"""The SIGALRM time limit restores whatever handler and timer were there before."""

from __future__ import annotations

import signal
import time

import pytest

from cairn.execute import TrialTimeout, time_limit


def _spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_interrupts_and_restores_the_previous_handler():
    def mine(signum, frame):
        pass

    before = signal.signal(signal.SIGALRM, mine)
    try:
        with pytest.raises(TrialTimeout, match="0.05 s"), time_limit(0.05) as armed:
            assert armed
            _spin(2)
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, before)


def test_fast_body_passes_and_an_outer_timer_keeps_running():
    fired = []
    before = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with time_limit(5):
            pass
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining <= 0.3
        _spin(0.5)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_no_limit_arms_nothing():
    with time_limit(None) as armed:
        assert not armed
