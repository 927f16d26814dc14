"""Wall-clock limits for one in-process evaluation.

A serial trial cannot be killed from outside. On the main thread of the main
interpreter a ``SIGALRM`` timer interrupts it as soon as Python code runs again (a long
call inside compiled code is caught when it returns). Elsewhere (worker threads,
platforms without ``setitimer``) no signal can be used, and the caller checks the
elapsed time afterwards.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TrialTimeout(BaseException):
    """Raised inside a fit that ran past its time limit.

    A ``BaseException`` so that estimator code catching ``Exception`` cannot swallow it.
    """


@contextmanager
def time_limit(seconds: float | None) -> Iterator[bool]:
    """Interrupt the body after ``seconds`` with :class:`TrialTimeout`.

    Yields whether a timer was armed; if not, the caller must compare elapsed time.
    Any previous SIGALRM handler and timer are restored afterwards.
    """
    if not seconds or not hasattr(signal, "setitimer"):
        yield False
        return

    def _expire(signum: int, frame: object) -> None:
        raise TrialTimeout(f"exceeded the time limit of {seconds:g} s")

    try:
        previous = signal.signal(signal.SIGALRM, _expire)
    except ValueError:  # not the main thread of the main interpreter
        yield False
        return
    start = time.monotonic()
    outer_remaining, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even if the alarm fires while being disarmed
            signal.signal(signal.SIGALRM, previous)
            if outer_remaining:
                left = max(outer_remaining - (time.monotonic() - start), 1e-6)
                signal.setitimer(signal.ITIMER_REAL, left, outer_interval)
