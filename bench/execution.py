"""Execution: speed-up of parallel workers and orchestration overhead, beside Optuna.

(a) Speed-up: one CASH search (random search on digits, 5-fold CV, so each trial takes
    a second or more) with 1 worker and with 2 worker processes; the same seed gives the
    same trials, so only the wall time differs. Two searches: RBF SVMs alone (trials of
    similar length) and RBF SVMs with MLPs (a few MLP trials take ten times longer). A
    free worker takes the next trial, so with 2 workers a search cannot end before the
    greedy schedule of its serial trial times in trial order does: that bound (serial
    seconds over that schedule's length) is the most any executor could reach, and the
    efficiency is the measured speed-up over it.
(b) Overhead: a no-op objective, N trials, each recorded in a SQLite store (one run per
    trial, with params and metrics): cairn serially, with 2 worker processes, and on a
    Dask LocalCluster with 2 workers; beside Optuna's ``study.optimize`` with an
    in-memory storage and with its SQLite (RDB) storage, and Ray Tune (``Tuner.fit`` of a
    function trainable on a 2-CPU local Ray; 100 trials, once: it starts an actor per
    trial, so 1,000 take too long to repeat). Everything but Ray records N trials.

    python bench/execution.py            # writes bench/results/execution.md
    python bench/execution.py --quick    # small sizes; printed only
    python bench/execution.py --only speedup --out elsewhere.md  # (a) alone
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _report import publish

RESULTS = Path(__file__).parent / "results" / "execution.md"


def noop(config, budget=None) -> float:
    return 0.0


def cash_search(workers: int, trials: int, seed: int, learners: list[str]) -> tuple[float, list[float], list[float]]:
    """Wall seconds of one CASH search, its losses and its trials' seconds, in trial order."""
    from cairn.data import load_dataset
    from cairn.evaluate import CashObjective, KFold
    from cairn.execute import ProcessExecutor, SerialExecutor
    from cairn.learners import cash_space
    from cairn.optim import make_optimizer
    from cairn.study import Study
    from cairn.track import Store

    data = load_dataset("digits")
    objective = CashObjective(data, resampling=KFold(5, seed=seed), seed=seed)
    space = cash_space(data.task, learners)
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = Study(make_optimizer("random", space, seed=seed), objective, store=Store(f"sqlite:///{tmp}/c.db"),
                       n_trials=trials, executor=executor).optimize()
        seconds = time.perf_counter() - start
    trials_in_order = sorted(result.trials, key=lambda t: t.id)
    return seconds, [t.loss for t in trials_in_order], [t.result.cost for t in trials_in_order]


def greedy_bound(costs: list[float], workers: int) -> float:
    """Serial time over the length of the schedule that gives each trial, in order, to
    the worker that frees first: the best speed-up a pool of ``workers`` can reach."""
    loads = [0.0] * workers
    for cost in costs:
        loads[loads.index(min(loads))] += cost
    return sum(costs) / max(loads)


def speedup_row(name: str, learners: list[str], trials: int, repeats: int, seed: int) -> str:
    """A table row: the median serial and parallel times of ``repeats`` pairs, run
    one after the other so that both see the same machine."""
    pairs = [(cash_search(1, trials, seed, learners), cash_search(2, trials, seed, learners)) for _ in range(repeats)]
    serial_s = statistics.median(serial[0] for serial, _ in pairs)
    parallel_s = statistics.median(parallel[0] for _, parallel in pairs)
    ratios = ", ".join(f"{serial[0] / parallel[0]:.2f}x" for serial, parallel in pairs)
    same = all(serial[1] == parallel[1] for serial, parallel in pairs)
    bound = statistics.median(greedy_bound(serial[2], 2) for serial, _ in pairs)
    speedup = serial_s / parallel_s
    print(f"{name}: {speedup:.2f}x ({ratios}), bound {bound:.2f}x", flush=True)
    return (f"| (a) CASH search, {trials} trials ({name}; {serial_s / trials:.1f} s a trial serially) | "
            f"{serial_s:.1f} s with 1 worker | {parallel_s:.1f} s with 2 processes | "
            f"speed-up **{speedup:.2f}x** (each repeat: {ratios}); bound {bound:.2f}x, efficiency "
            f"{speedup / bound:.0%}; same losses: {'yes' if same else 'NO'} |")


def cairn_overhead(executor_name: str, trials: int) -> float:
    from cairn.execute import make_executor
    from cairn.optim import make_optimizer
    from cairn.space import Float, Space
    from cairn.study import Study
    from cairn.track import Store

    space = Space([Float("x", 0.0, 1.0)])
    executor = make_executor(executor_name, 1 if executor_name == "serial" else 2)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/c.db")
        start = time.perf_counter()
        Study(make_optimizer("random", space, seed=0), noop, store=store, n_trials=trials, executor=executor).optimize()
        seconds = time.perf_counter() - start
        assert sum(1 for r in store.runs() if r["trial_number"] is not None) == trials
        store.close()
    return seconds


def optuna_overhead(storage: str, trials: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = None if storage == "memory" else f"sqlite:///{tmp}/optuna.db"
        start = time.perf_counter()
        study = optuna.create_study(storage=url, sampler=optuna.samplers.RandomSampler(seed=0))
        study.optimize(lambda t: noop({"x": t.suggest_float("x", 0.0, 1.0)}), n_trials=trials)
        return time.perf_counter() - start


def ray_tune_overhead(trials: int, patience: float = 300.0) -> float:
    """Ray Tune's seconds, measured in a child process given ``patience`` seconds
    (``inf`` if it did not finish: on a loaded 2-core machine it can stall)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_ray_tune_child, args=(trials, queue))
    child.start()
    child.join(patience)
    if child.is_alive():
        child.kill()
        child.join()
        return float("inf")
    return queue.get() if not queue.empty() else float("inf")


def _ray_tune_child(trials: int, queue) -> None:
    queue.put(_ray_tune(trials))


def _ray_tune(trials: int) -> float:
    import ray
    from ray import tune
    from ray.tune.search import BasicVariantGenerator

    def trainable(config: dict) -> dict:  # self-contained: Ray workers cannot import this script
        return {"loss": 0.0}

    with tempfile.TemporaryDirectory() as tmp:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            start = time.perf_counter()
            tune.Tuner(trainable, param_space={"x": tune.uniform(0.0, 1.0)},
                       tune_config=tune.TuneConfig(num_samples=trials, search_alg=BasicVariantGenerator(random_state=0)),
                       run_config=tune.RunConfig(storage_path=tmp, verbose=0)).fit()
            return time.perf_counter() - start
        finally:
            ray.shutdown()


#: The searches of (a): a description and the learners searched.
WORKLOADS = {"svm": ("digits, RBF SVM, 5-fold", ["rbf_svm"]),
             "svm-mlp": ("digits, RBF SVM / MLP, 5-fold", ["rbf_svm", "mlp"])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["speedup", "overhead"], help="run (a) or (b) alone")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), nargs="+", default=sorted(WORKLOADS),
                        help="the searches of (a) (default: both)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write the table (default {RESULTS})")
    args = parser.parse_args(argv)
    cash_trials, noop_trials, repeats = (4, 100, 1) if args.quick else (24, 1000, 3)

    rows = [] if args.only == "overhead" else [
        speedup_row(*WORKLOADS[name], cash_trials, repeats, args.seed) for name in args.workload]
    if args.only != "speedup":
        rows += overhead_rows(noop_trials, repeats)
    table = "\n".join(["| measure | | | |", "|---|---|---|---|", *rows])
    command = " ".join(["python bench/execution.py", *(argv if argv is not None else sys.argv[1:])])
    affinity = len(os.sched_getaffinity(0))
    text = (f"# Execution: workers and orchestration overhead\n\n`{command}`\n\n"
            + " ".join(__doc__.split("\n\n")[1].split())
            + f"\n\nSeed {args.seed}; medians of {repeats} repeats (for (a), a serial and a parallel run each); "
              f"{affinity} cores available to this process ({os.cpu_count()} in the machine), "
              f"load {os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()}.\n\n{table}\n")
    publish(text, None if args.quick else args.out)


def overhead_rows(noop_trials: int, repeats: int) -> list[str]:
    """(b): orchestration time per no-op trial, cairn's executors beside Optuna and Ray Tune."""
    timings: dict[str, float] = {}
    for label, fn in (("cairn serial", lambda: cairn_overhead("serial", noop_trials)),
                      ("cairn processes (2)", lambda: cairn_overhead("processes", noop_trials)),
                      ("cairn dask LocalCluster (2)", lambda: cairn_overhead("dask", noop_trials)),
                      ("Optuna in-memory", lambda: optuna_overhead("memory", noop_trials)),
                      ("Optuna SQLite", lambda: optuna_overhead("sqlite", noop_trials))):
        timings[label] = statistics.median(fn() for _ in range(repeats))
        print(f"{label}: {timings[label]:.2f} s", flush=True)
    counts = dict.fromkeys(timings, noop_trials)
    ray_trials = min(noop_trials, 100)  # an actor per trial: 1,000 do not fit in minutes on 2 cores
    timings[f"Ray Tune ({ray_trials} trials, once)"] = ray_tune_overhead(ray_trials)  # inf: unfinished
    counts[f"Ray Tune ({ray_trials} trials, once)"] = ray_trials
    base = timings["Optuna SQLite"]
    per_trial = {label: s / counts[label] for label, s in timings.items()}
    return [f"| (b) {counts[label]:,} no-op trials: {label} | {s:.2f} s | {1000 * per_trial[label]:.2f} ms per trial | "
            f"{base / counts['Optuna SQLite'] / per_trial[label]:.2f}x Optuna SQLite's speed per trial |"
            if s < float("inf") else f"| (b) {counts[label]:,} no-op trials: {label} | did not finish in 300 s | | |"
            for label, s in timings.items()]


if __name__ == "__main__":
    main()
