"""Wall-clock and memory limits for one in-process evaluation.

A serial trial cannot be killed from outside. On the main thread of the main
interpreter a ``SIGALRM`` timer interrupts it as soon as Python code runs again (a long
call inside compiled code is caught when it returns). Elsewhere (worker threads,
platforms without ``setitimer``) no signal can be used, and the caller checks the
elapsed time afterwards. Worker processes (``cairn.execute.processes``) and Dask
(``cairn.execute.dask``) therefore also enforce the wall-clock limit from outside.

The memory limit caps the address space a trial may *add* to its process (Linux
``RLIMIT_AS``): a trial that allocates past it gets a ``MemoryError`` instead of taking
the machine down, and the interpreter, libraries and data the worker already holds are
not counted against the trial.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from cairn.errors import UserError

GRACE = 2.0
"""Seconds past its time limit before an executor stops a trial from outside."""


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


def check_memory_limit(nbytes: int | None) -> None:
    """Refuse a memory limit this platform cannot enforce, before any trial runs."""
    if nbytes is None:
        return
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes <= 0:
        raise UserError(f"the memory limit must be a positive number of bytes, got {nbytes!r}")
    if not sys.platform.startswith("linux"):
        raise UserError(f"memory limits need Linux (RLIMIT_AS); this is {sys.platform}")


@contextmanager
def memory_limit(nbytes: int | None) -> Iterator[None]:
    """Let the body grow this process's address space by at most ``nbytes``.

    Address space, not resident memory, is what the kernel can refuse at allocation
    time, so the limit is exact and immediate; set it with some room, since thread
    stacks and allocator arenas reserve address space they never touch. The previous
    limit is restored afterwards. Process-wide: only one limited trial per process.
    """
    if nbytes is None:
        yield
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + nbytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
