"""Per-trial wall-clock limits for in-process execution.

A serial trial cannot be killed from outside, so the limit is an interval timer that
raises :class:`TrialTimeout` inside the trial. Signals only reach the main thread; off it
the limit is checked after the fact, which still records the trial as failed.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TrialTimeout(Exception):
    """Raised inside a trial that ran past its wall-clock limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TrialTimeout` if the body runs longer than ``seconds``."""
    if seconds is None:
        yield
        return
    if seconds <= 0:
        raise TrialTimeout("no time left for this trial")
    if threading.current_thread() is not threading.main_thread():
        start = time.perf_counter()
        yield
        if time.perf_counter() - start > seconds:
            raise TrialTimeout(f"trial exceeded its time limit of {seconds:.3g} s")
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise TrialTimeout(f"trial exceeded its time limit of {seconds:.3g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
