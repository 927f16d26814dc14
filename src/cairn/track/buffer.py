"""Buffered metric writes: a training loop logs every step without paying a transaction.

Points wait in memory and reach the database in batches: at least every ``interval``
seconds (a background thread), when the buffer outgrows ``max_rows``, when a run ends
and at interpreter exit. A crash therefore loses at most the last interval's points,
and a batch is one transaction, so it lands whole or not at all.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable

#: One metric point: (run_id, key, value or None for non-finite, step, timestamp).
MetricRow = tuple[str, str, float | None, int, float]

_live: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()


class MetricBuffer:
    """Collects metric points and hands them to ``write`` in batches.

    The flush thread runs only while points are waiting, so an idle buffer (and the
    store behind it) holds no thread and can be garbage-collected.
    """

    def __init__(self, write: Callable[[list[MetricRow]], None], interval: float = 1.0, max_rows: int = 100_000):
        self._write = write
        self.interval, self.max_rows = interval, max_rows
        self._reset()
        _live.add(self)

    def _reset(self) -> None:
        self._rows: list[MetricRow] = []
        self._lock = threading.Lock()  # guards _rows and _thread
        self._flush_lock = threading.Lock()  # one batch at a time, in order
        self._thread: threading.Thread | None = None

    def add(self, row: MetricRow) -> None:
        with self._lock:
            self._rows.append(row)
            pending = len(self._rows)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cairn-metrics", daemon=True)
                self._thread.start()
        if pending >= self.max_rows:
            self.flush()  # backpressure: a producer that outruns the writer pays here

    def flush(self, write: Callable[[list[MetricRow]], None] | None = None) -> None:
        """Write every waiting point now; a failed batch stays queued for the next try.

        ``write`` replaces the usual writer for this batch and is called even when no
        point waits: a run's end writes the batch in its own transaction.
        """
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows and write is None:
                return
            try:
                (write or self._write)(rows)
            except BaseException:
                with self._lock:
                    self._rows[:0] = rows
                raise

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                if not self._rows:
                    self._thread = None
                    return
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - the thread must survive to retry
                warnings.warn(f"cairn could not write buffered metrics yet, will retry: {exc}", stacklevel=1)


def flush_all() -> None:
    """Flush every live buffer (at exit, and before a process hands over)."""
    for buffer in list(_live):
        try:
            buffer.flush()
        except Exception as exc:  # noqa: BLE001 - report and go on with the other stores
            warnings.warn(f"cairn lost buffered metrics at exit: {exc}", stacklevel=1)


def _forget_in_child() -> None:
    # A forked child inherits the parent's waiting points and locks; the parent writes
    # those points, so the child starts empty (and with fresh locks and no thread).
    for buffer in list(_live):
        buffer._reset()


atexit.register(flush_all)
os.register_at_fork(after_in_child=_forget_in_child)
