"""The reuse cache: values of lineage items, kept in memory, spilled to disk, shared.

Keys are lineage :class:`~cairn.lineage.item.Item` s, so a lookup costs one precomputed
hash and, on a match, a DAG comparison, never a pass over the data (LIMA's reuse cache).

When a new value does not fit the byte budget, values are evicted by policy:

* ``"cost-size"`` (default): the fewest compute seconds per byte first, so what is cheap
  to recompute for the memory it holds goes first.
* ``"lru"``: the least recently used first.
* ``"height"``: the greatest DAG height first. A deep item (a model fitted after a chain
  of steps) belongs to one configuration; a shallow one (a loaded dataset, a split, a
  scaled matrix) is an input that many configurations share, so it is kept longer.

Ties go to the least recently used. With ``spill_dir``, an evicted value that took longer
to compute than reading it back would take is written there as ``<id>.spill.pkl`` (HELIX's
materialisation rule); reading is estimated at :data:`DISK_READ_BYTES_PER_S`.

Threads that miss the same item wait for the first one to compute it; other items go on
meanwhile. If that computation raises, the exception stays in its own thread and the
waiters try again, one of them computing. With ``shared_dir``, local processes sharing the
directory take one exclusive ``fcntl.flock`` per item (POSIX only): the first computes and
writes ``<id>.pkl``, the others block on the lock, then read that file.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from cairn.errors import UserError
from cairn.lineage.item import Item

T = TypeVar("T")

#: A conservative rate for reading a pickle back (a SATA SSD with unpickling), so a value
#: is spilled only when recomputing it is clearly slower than reading it.
DISK_READ_BYTES_PER_S = 200e6


@dataclass
class _Entry:
    value: Any
    size: int
    cost: float
    used: int  # the tick of the last use


#: policy -> fn(item, entry) -> eviction key; the smallest key is evicted first.
_EVICTION_KEYS: dict[str, Callable[[Item, _Entry], tuple[float, ...]]] = {
    "cost-size": lambda item, entry: (entry.cost / max(entry.size, 1), entry.used),
    "lru": lambda item, entry: (entry.used,),
    "height": lambda item, entry: (-item.height, entry.used),
}


@dataclass(frozen=True)
class CacheStats:
    """Counts since the cache was made; every request is exactly one hit or one miss.

    A value read from disk (spilled, or written by another process) is a hit and a disk
    read; a spill is also an eviction. ``bytes`` is what the values in memory hold now.
    """

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    spills: int = 0
    disk_reads: int = 0
    bytes: int = 0

    @property
    def hit_ratio(self) -> float:
        requests = self.hits + self.misses
        return self.hits / requests if requests else 0.0


class _Flight:
    """A value being fetched or computed by one thread, which others wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.found = False
        self.value: Any = None


def size_of(value: Any) -> int:
    """Bytes that ``value`` holds in memory, the unit of the budget.

    Arrays, frames and sparse matrices report their buffers; containers add up their
    elements; anything else (fitted estimators are small) is the length of its pickle.
    """
    if isinstance(value, np.ndarray):
        return value.nbytes
    # A value can only be a frame or a sparse matrix if that library is loaded already,
    # so the cache never imports them itself (``import cairn`` stays fast).
    pd, sparse = sys.modules.get("pandas"), sys.modules.get("scipy.sparse")
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        usage = value.memory_usage(deep=True)
        return int(usage.sum()) if isinstance(usage, pd.Series) else int(usage)
    if sparse is not None and sparse.issparse(value) and value.format in ("csr", "csc", "bsr"):
        return value.data.nbytes + value.indices.nbytes + value.indptr.nbytes
    if isinstance(value, (tuple, list)):
        return sum(size_of(v) for v in value)
    if isinstance(value, dict):
        return sum(size_of(v) for v in value.values())
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic)):
        return sys.getsizeof(value)
    try:
        return len(pickle.dumps(value, protocol=5))
    except (pickle.PicklingError, TypeError, AttributeError):
        return sys.getsizeof(value)


class ReuseCache:
    """Values of lineage items within ``budget_bytes`` of memory; thread-safe.

    ``policy`` picks what to evict (see the module notes), ``spill_dir`` where expensive
    evicted values go, ``shared_dir`` the directory through which local worker processes
    compute each item once.
    """

    def __init__(self, budget_bytes: int = 1 << 30, policy: str = "cost-size",
                 spill_dir: str | Path | None = None, shared_dir: str | Path | None = None):
        if policy not in _EVICTION_KEYS:
            raise UserError(f"unknown reuse cache policy {policy!r}; choose one of {', '.join(_EVICTION_KEYS)}")
        if isinstance(budget_bytes, bool) or not isinstance(budget_bytes, int) or budget_bytes <= 0:
            raise UserError(f"the reuse cache budget must be a positive whole number of bytes, not {budget_bytes!r}")
        self.budget_bytes = budget_bytes
        self.policy = policy
        self._eviction_key = _EVICTION_KEYS[policy]
        self._spill_dir = _directory(spill_dir)
        self._shared_dir = _directory(shared_dir)
        self._lock = threading.Lock()  # guards everything below
        self._memory: dict[Item, _Entry] = {}
        self._spilled: dict[Item, float] = {}  # item -> compute cost; the value is on disk
        self._flights: dict[Item, _Flight] = {}
        self._counts: Counter[str] = Counter()
        self._bytes = 0
        self._tick = 0

    @property
    def stats(self) -> CacheStats:
        """A snapshot of the counters."""
        with self._lock:
            return CacheStats(**self._counts, bytes=self._bytes)

    def get_or_compute(self, item: Item, compute: Callable[[], T]) -> T:
        """The value of ``item``: the stored object itself if held, else ``compute()``'s
        result, timed and stored. Concurrent misses on one item compute it once."""
        return self._request(item, compute, None)

    def get(self, item: Item, default: Any = None) -> Any:
        """The stored value of ``item``, or ``default`` (a miss)."""
        return self._request(item, None, default)

    def put(self, item: Item, value: Any, cost: float = 0.0) -> None:
        """Store ``value`` as computed in ``cost`` seconds, evicting to fit the budget (in
        this process only: ``shared_dir`` holds only what :meth:`get_or_compute` computed)."""
        if not cost >= 0:
            raise UserError(f"the compute cost of a cached value must be seconds >= 0, not {cost!r}")
        self._keep(item, value, float(cost))

    def __contains__(self, item: object) -> bool:
        with self._lock:
            if item in self._memory or item in self._spilled:
                return True
        return isinstance(item, Item) and self._shared_dir is not None and self._shared_path(item).exists()

    def clear(self) -> None:
        """Forget every value held in memory or spilled; files in ``shared_dir`` belong to
        all processes and stay, and the counters go on counting."""
        with self._lock:
            for item in self._spilled:
                self._spill_path(item).unlink(missing_ok=True)
            self._memory.clear()
            self._spilled.clear()
            self._bytes = 0

    def _request(self, item: Item, compute: Callable[[], Any] | None, default: Any) -> Any:
        while True:
            with self._lock:
                entry = self._memory.get(item)
                if entry is not None:
                    self._counts["hits"] += 1
                    entry.used = self._next_tick()
                    return entry.value
                flight = self._flights.get(item)
                if flight is None:
                    flight = self._flights[item] = _Flight()
                    break
            flight.done.wait()
            if flight.found:
                with self._lock:
                    self._counts["hits"] += 1
                return flight.value
        try:  # this thread fetches or computes; others wait on the flight
            flight.found, flight.value = self._fetch(item, compute)
            return flight.value if flight.found else default
        finally:
            with self._lock:
                del self._flights[item]
            flight.done.set()

    def _fetch(self, item: Item, compute: Callable[[], Any] | None) -> tuple[bool, Any]:
        with self._lock:
            spilled = self._spilled.pop(item, None) is not None
        if spilled:
            path = self._spill_path(item)
            cost, value = _read(path)
            path.unlink()  # before the value is back in memory, where it may be spilled again
            return self._reuse(item, value, cost)
        if self._shared_dir is None:
            return self._compute(item, compute, None)
        with _exclusive(self._shared_dir / f"{item.id}.lock"):
            path = self._shared_path(item)
            if path.exists():
                cost, value = _read(path)
                return self._reuse(item, value, cost)
            return self._compute(item, compute, path)

    def _reuse(self, item: Item, value: Any, cost: float) -> tuple[bool, Any]:
        with self._lock:
            self._counts.update(("hits", "disk_reads"))
        self._keep(item, value, cost)
        return True, value

    def _compute(self, item: Item, compute: Callable[[], Any] | None, shared: Path | None) -> tuple[bool, Any]:
        with self._lock:
            self._counts["misses"] += 1
        if compute is None:
            return False, None
        start = time.perf_counter()
        value = compute()
        cost = time.perf_counter() - start
        if shared is not None:
            _write(shared, cost, value)
        self._keep(item, value, cost)
        return True, value

    def _keep(self, item: Item, value: Any, cost: float) -> None:
        size = size_of(value)
        with self._lock:
            old = self._memory.pop(item, None)
            if old is not None:
                self._bytes -= old.size
            if size > self.budget_bytes:
                return  # bigger than the whole budget: returned to the caller, not kept
            while self._bytes + size > self.budget_bytes:
                self._evict()
            self._memory[item] = _Entry(value, size, cost, self._next_tick())
            self._bytes += size

    def _evict(self) -> None:
        # Called under the index lock; a spill writes there too, which keeps the index and
        # the files in step (spills are rare: only expensive values, only under pressure).
        item, entry = min(self._memory.items(), key=lambda pair: self._eviction_key(*pair))
        del self._memory[item]
        self._bytes -= entry.size
        self._counts["evictions"] += 1
        if (self._spill_dir is not None and entry.cost > entry.size / DISK_READ_BYTES_PER_S
                and _write(self._spill_path(item), entry.cost, entry.value)):
            self._spilled[item] = entry.cost
            self._counts["spills"] += 1

    def _next_tick(self) -> int:
        self._tick += 1
        return self._tick

    def _spill_path(self, item: Item) -> Path:
        return self._spill_dir / f"{item.id}.spill.pkl"  # type: ignore[operator]

    def _shared_path(self, item: Item) -> Path:
        return self._shared_dir / f"{item.id}.pkl"  # type: ignore[operator]


def _directory(path: str | Path | None) -> Path | None:
    if path is None:
        return None
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot use {path} as a reuse cache directory: {exc.strerror}") from None
    return Path(path)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path``; released when the file closes."""
    with open(lock_path, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        yield


def _read(path: Path) -> tuple[float, Any]:
    with open(path, "rb") as file:
        return pickle.load(file)


def _write(path: Path, cost: float, value: Any) -> bool:
    """Write ``(cost, value)`` atomically, so readers see all of it or nothing; False if
    the value cannot be pickled."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        with open(partial, "wb") as file:
            pickle.dump((cost, value), file, protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError):
        partial.unlink(missing_ok=True)
        return False
    os.replace(partial, path)
    return True
