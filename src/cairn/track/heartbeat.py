"""Heartbeats: a run whose process died must not stay ``running`` forever.

A store beats for the runs its process started and has not ended: every ``interval``
seconds one UPDATE sets their ``heartbeat`` to now. A run whose heartbeat is older than
a lease belongs to a process that is gone, which any other process can then record
(:meth:`cairn.track.Store.expire_runs`). Beats come from a daemon thread that runs only
while there are live runs, so an idle store holds no thread; a failed beat is retried
at the next one and never reaches the program being tracked.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable

from cairn.errors import StoreError

log = logging.getLogger(__name__)

_live: weakref.WeakSet[Heartbeat] = weakref.WeakSet()


class Heartbeat:
    """Calls ``beat(run_ids)`` every ``interval`` seconds while any run is live."""

    def __init__(self, beat: Callable[[list[str]], None], interval: float = 10.0):
        if not interval > 0:
            raise StoreError(f"the heartbeat interval must be positive, got {interval}")
        self._beat, self.interval = beat, interval
        self._reset()
        _live.add(self)

    def _reset(self) -> None:
        self._runs: set[str] = set()
        self._lock = threading.Lock()  # guards _runs and _thread
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def add(self, run_id: str) -> None:
        """Beat for ``run_id`` from now on (its first heartbeat is written with the run)."""
        with self._lock:
            self._runs.add(run_id)
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._stop,), name="cairn-heartbeat",
                                                daemon=True)
                self._thread.start()

    def discard(self, *run_ids: str) -> None:
        """Stop beating for runs that ended (or are gone)."""
        with self._lock:
            self._runs.difference_update(run_ids)

    def stop(self) -> None:
        """Stop beating for every run and wait for a beat in progress: a closed store
        vouches for none of its runs any more."""
        with self._lock:
            self._runs.clear()
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            with self._lock:
                if not self._runs:
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                run_ids = sorted(self._runs)
            try:
                self._beat(run_ids)
            except Exception:  # noqa: BLE001 - the next beat retries; the lease allows for misses
                log.debug("cairn could not write a heartbeat; retrying in %s s", self.interval, exc_info=True)


def _forget_in_child() -> None:
    # A forked child inherits the parent's live runs but not its thread. Beating for
    # them from the child would keep them "running" after the parent died.
    for heartbeat in list(_live):
        heartbeat._reset()


os.register_at_fork(after_in_child=_forget_in_child)
