"""The reuse cache: hits by lineage, eviction per policy, spilling, threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.lineage import Item, canonical, dataset, leaf
from cairn.lineage.cache import ReuseCache, size_of


def key(name: str, depth: int = 0) -> Item:
    """An item named ``name`` at DAG height ``depth``."""
    node = leaf("key", name)
    for step in range(depth):
        node = Item("step", (node,), canonical(step))
    return node


def block(size: int) -> np.ndarray:
    """A value of exactly ``size`` bytes."""
    return np.zeros(size, dtype=np.uint8)


def never() -> None:
    raise AssertionError("compute must not be called on a hit")


class Counted:
    """A compute function that sleeps and counts its calls under a lock."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.seconds = seconds
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> np.ndarray:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return np.arange(10.0)


def test_a_second_request_returns_the_stored_object_without_computing():
    cache = ReuseCache()
    first = cache.get_or_compute(key("a"), lambda: np.arange(5))
    assert cache.get_or_compute(key("a"), never) is first
    assert cache.get(key("a")) is first
    stats = cache.stats
    assert (stats.hits, stats.misses, stats.bytes) == (2, 1, first.nbytes)
    assert stats.hit_ratio == pytest.approx(2 / 3)


def test_equal_items_built_separately_hit():
    cache = ReuseCache()
    fitted = Item("fit", (dataset("a" * 32, "iris"),), canonical({"C": 0.5, "penalty": "l2"}), seed=1)
    again = Item("fit", (dataset("a" * 32, "iris"),), canonical({"penalty": "l2", "C": 0.5}), seed=1)
    other = Item("fit", (dataset("a" * 32, "iris"),), canonical({"C": 0.5, "penalty": "l2"}), seed=2)
    value = cache.get_or_compute(fitted, lambda: [1, 2, 3])
    assert cache.get_or_compute(again, never) is value
    assert again in cache and other not in cache
    assert cache.get(other, "absent") == "absent"
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)


def test_the_cost_of_a_miss_is_its_compute_time():
    cache = ReuseCache(budget_bytes=1000)
    cache.get_or_compute(key("slow"), lambda: (time.sleep(0.05), block(400))[1])
    cache.put(key("fast"), block(400), cost=0.01)
    cache.put(key("new"), block(400), cost=1.0)  # cost-size: the cheaper per byte goes
    assert key("slow") in cache and key("fast") not in cache


def evictions(cache: ReuseCache, candidates: list[Item], puts: list[tuple[Item, int, float]]) -> list[set[Item]]:
    """After each put, which of ``candidates`` left the cache."""
    gone = []
    for item, size, cost in puts:
        cache.put(item, block(size), cost=cost)
        gone.append({c for c in candidates if c not in cache})
    return gone


def test_cost_size_evicts_the_fewest_seconds_per_byte_first():
    cache = ReuseCache(budget_bytes=1000, policy="cost-size")
    big_cheap, small_cheaper, big_dear = key("x"), key("y"), key("z")
    cache.put(big_cheap, block(400), cost=4.0)  # 0.01 s/byte
    cache.put(small_cheaper, block(100), cost=2.0)  # 0.02 s/byte, less in absolute terms
    cache.put(big_dear, block(400), cost=40.0)  # 0.1 s/byte
    gone = evictions(cache, [big_cheap, small_cheaper, big_dear],
                     [(key("w"), 200, 100.0), (key("v"), 400, 1000.0)])
    assert gone == [{big_cheap}, {big_cheap, small_cheaper}]
    assert cache.stats.evictions == 2 and cache.stats.bytes == 1000


def test_lru_evicts_the_least_recently_used_first():
    cache = ReuseCache(budget_bytes=300, policy="lru")
    a, b, c = key("a"), key("b"), key("c")
    for item in (a, b, c):
        cache.put(item, block(100), cost=100.0)
    cache.get(a)
    assert evictions(cache, [a, b, c], [(key("d"), 100, 0.0), (key("e"), 100, 0.0)]) == [{b}, {b, c}]


def test_height_evicts_the_deepest_item_first_then_the_least_recently_used():
    cache = ReuseCache(budget_bytes=400, policy="height")
    deep, middle, shallow, older_shallow = key("d", 5), key("m", 2), key("s"), key("o")
    for item in (older_shallow, deep, middle, shallow):
        cache.put(item, block(100), cost=1.0)
    cache.get(deep)  # most recently used, still first to go
    puts = [(key(name), 100, 1.0) for name in ("n1", "n2", "n3")]
    assert evictions(cache, [deep, middle, shallow, older_shallow], puts) == [
        {deep}, {deep, middle}, {deep, middle, older_shallow}]


def test_an_object_bigger_than_the_budget_is_returned_but_not_kept():
    cache = ReuseCache(budget_bytes=1000)
    cache.put(key("small"), block(600), cost=1.0)
    huge = cache.get_or_compute(key("huge"), lambda: block(1001))
    assert huge.nbytes == 1001
    assert key("huge") not in cache and key("small") in cache
    assert cache.stats.evictions == 0 and cache.stats.bytes == 600
    calls = Counted(0)
    cache.get_or_compute(key("huge"), calls)
    assert calls.calls == 1


def test_replacing_a_value_accounts_its_bytes_once():
    cache = ReuseCache(budget_bytes=1000)
    cache.put(key("a"), block(600))
    cache.put(key("a"), block(700))
    assert cache.stats.bytes == 700 and cache.stats.evictions == 0


def test_expensive_evicted_values_spill_to_disk_and_come_back(tmp_path):
    cache = ReuseCache(budget_bytes=1000, policy="lru", spill_dir=tmp_path)
    dear, cheap = key("dear"), key("cheap")
    value = np.arange(100, dtype=np.float64)  # 800 bytes
    cache.put(dear, value, cost=5.0)
    cache.put(cheap, block(800), cost=0.0)  # evicts dear: 5 s to compute > 4 µs to read
    assert (tmp_path / f"{dear.id}.spill.pkl").is_file()
    assert dear in cache and cache.stats.spills == 1 and cache.stats.evictions == 1
    back = cache.get_or_compute(dear, never)  # evicts cheap: recomputing it costs nothing
    assert back.tobytes() == value.tobytes()
    stats = cache.stats
    assert (stats.hits, stats.disk_reads, stats.spills, stats.evictions, stats.bytes) == (1, 1, 1, 2, 800)
    assert cheap not in cache and cache.get(cheap) is None
    assert not (tmp_path / f"{dear.id}.spill.pkl").exists()
    assert cache.get(dear) is back  # back in memory: no second disk read
    assert cache.stats.disk_reads == 1


def test_clear_forgets_memory_and_spilled_values(tmp_path):
    cache = ReuseCache(budget_bytes=100, spill_dir=tmp_path)
    cache.put(key("a"), block(100), cost=5.0)
    cache.put(key("b"), block(100), cost=5.0)
    cache.clear()
    assert key("a") not in cache and key("b") not in cache
    assert cache.stats.bytes == 0 and not list(tmp_path.iterdir())


def test_eight_threads_missing_one_item_compute_it_once():
    cache = ReuseCache()
    compute = Counted(0.2)
    start = threading.Barrier(8)
    results: list[np.ndarray] = []

    def request() -> None:
        start.wait()
        results.append(cache.get_or_compute(key("shared"), compute))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert (cache.stats.misses, cache.stats.hits) == (1, 7)


def test_different_items_compute_concurrently():
    cache = ReuseCache()
    # Each computation waits until all four run at once: serialised, the barrier breaks.
    together = threading.Barrier(4, timeout=10)
    errors: list[Exception] = []

    def request(name: str) -> None:
        try:
            cache.get_or_compute(key(name), lambda: together.wait())
        except Exception as exc:  # a broken barrier: reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and cache.stats.misses == 4


def test_a_failed_computation_raises_in_its_thread_and_a_waiter_computes_instead():
    cache = ReuseCache()
    started, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def failing() -> None:
        started.set()
        release.wait(10)
        raise RuntimeError("fit diverged")

    def first() -> None:
        try:
            cache.get_or_compute(key("x"), failing)
        except RuntimeError as exc:
            outcomes["first"] = exc

    retry = Counted(0.05)

    def waiter(name: str) -> None:
        outcomes[name] = cache.get_or_compute(key("x"), retry)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    started.wait(10)
    threads += [threading.Thread(target=waiter, args=(name,)) for name in ("w1", "w2")]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.1)  # let the waiters reach the in-flight computation
    release.set()
    for thread in threads:
        thread.join()
    assert isinstance(outcomes["first"], RuntimeError)
    assert retry.calls == 1 and outcomes["w1"] is outcomes["w2"]
    assert cache.get(key("x")) is outcomes["w1"]


def compute_in_process(shared_dir: str, log: str, start, results) -> None:
    """One worker process: all four request the same item at once."""
    def compute() -> np.ndarray:
        with open(log, "a") as file:
            file.write("computed\n")
        time.sleep(0.3)
        return np.random.default_rng(42).normal(size=1000)

    cache = ReuseCache(shared_dir=shared_dir)
    start.wait()
    value = cache.get_or_compute(key("shared"), compute)
    results.put((value, cache.stats.misses, cache.stats.disk_reads))


def test_four_processes_sharing_a_directory_compute_one_item_once(tmp_path):
    context = multiprocessing.get_context("spawn")
    log, shared = tmp_path / "log", tmp_path / "shared"
    start, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=compute_in_process, args=(str(shared), str(log), start, results))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert Path(log).read_text() == "computed\n"
    values = [value for value, _, _ in outcomes]
    assert all(v.tobytes() == values[0].tobytes() for v in values)
    assert sorted((misses, reads) for _, misses, reads in outcomes) == [(0, 1), (0, 1), (0, 1), (1, 0)]
    assert (shared / f"{key('shared').id}.pkl").is_file()


def test_a_new_cache_on_a_shared_directory_reads_what_another_computed(tmp_path):
    first = ReuseCache(shared_dir=tmp_path)
    value = first.get_or_compute(key("a"), lambda: np.arange(7.0))
    second = ReuseCache(shared_dir=tmp_path)
    assert key("a") in second and key("b") not in second
    assert second.get_or_compute(key("a"), never).tobytes() == value.tobytes()
    assert (second.stats.hits, second.stats.disk_reads, second.stats.misses) == (1, 1, 0)
    assert second.get(key("b")) is None and second.stats.misses == 1


def test_size_of_counts_buffers_not_pickles():
    # Imported here, not at the top: the spawned workers above import this module.
    import pandas as pd
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    arrays = (np.zeros(10), np.zeros((3, 4), dtype=np.int32))
    assert size_of(arrays[0]) == 80
    assert size_of(arrays) == size_of(list(arrays)) == size_of({"a": arrays[0], "b": arrays[1]}) == 128
    frame = pd.DataFrame({"x": np.arange(100.0), "s": ["text"] * 100})
    assert size_of(frame) == frame.memory_usage(deep=True).sum()
    assert size_of(frame) > frame["x"].nbytes + 100 * len("text")  # the strings count too
    assert size_of(frame["x"]) == frame["x"].memory_usage(deep=True)
    matrix = sp.random(50, 40, density=0.1, format="csr", random_state=0)
    assert size_of(matrix) == matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    model = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
    assert 100 < size_of(model) < 10_000


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"policy": "fifo"}, "policy 'fifo'"),
    ({"budget_bytes": 0}, "positive"),
    ({"budget_bytes": -5}, "positive"),
    ({"budget_bytes": 1.5}, "whole number"),
])
def test_invalid_settings_raise_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message):
        ReuseCache(**kwargs)


def test_negative_costs_and_unusable_directories_raise_user_errors(tmp_path):
    with pytest.raises(UserError, match="cost"):
        ReuseCache().put(key("a"), 1, cost=-1.0)
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match="directory"):
        ReuseCache(spill_dir=tmp_path / "file")
