"""Execution: speed-up of parallel workers and orchestration overhead, beside Optuna.

(a) Speed-up: one CASH search (random search, RBF SVMs and MLPs on digits, 5-fold CV, so
    each trial takes a second or more) with 1 worker and with 2 worker processes; the
    same seed gives the same trials, so only the wall time differs.
(b) Overhead: a no-op objective, N trials, each recorded in a SQLite store (one run per
    trial, with params and metrics): cairn serially, with 2 worker processes, and on a
    Dask LocalCluster with 2 workers; beside Optuna's ``study.optimize`` with an
    in-memory storage and with its SQLite (RDB) storage, and Ray Tune (``Tuner.fit`` of a
    function trainable on a 2-CPU local Ray; 100 trials, once: it starts an actor per
    trial, so 1,000 take too long to repeat). Everything but Ray records N trials.

    python bench/execution.py            # writes bench/results/execution.md
    python bench/execution.py --quick    # small sizes; printed only
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _report import publish

RESULTS = Path(__file__).parent / "results" / "execution.md"


def noop(config, budget=None) -> float:
    return 0.0


def cash_search(workers: int, trials: int, seed: int) -> tuple[float, list[float]]:
    """Wall seconds of one CASH search and its losses in trial order."""
    from cairn.data import load_dataset
    from cairn.evaluate import CashObjective, KFold
    from cairn.execute import ProcessExecutor, SerialExecutor
    from cairn.learners import cash_space
    from cairn.optim import make_optimizer
    from cairn.study import Study
    from cairn.track import Store

    data = load_dataset("digits")
    objective = CashObjective(data, resampling=KFold(5, seed=seed), seed=seed)
    space = cash_space(data.task, ["rbf_svm", "mlp"])
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = Study(make_optimizer("random", space, seed=seed), objective, store=Store(f"sqlite:///{tmp}/c.db"),
                       n_trials=trials, executor=executor).optimize()
        seconds = time.perf_counter() - start
    return seconds, [t.loss for t in sorted(result.trials, key=lambda t: t.id)]


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cash_trials, noop_trials, repeats = (4, 100, 1) if args.quick else (16, 1000, 3)

    pairs = [(cash_search(1, cash_trials, args.seed), cash_search(2, cash_trials, args.seed)) for _ in range(repeats)]
    serial_s = statistics.median(serial[0] for serial, _ in pairs)
    parallel_s = statistics.median(parallel[0] for _, parallel in pairs)
    ratios = ", ".join(f"{serial[0] / parallel[0]:.2f}x" for serial, parallel in pairs)
    same = all(serial[1] == parallel[1] for serial, parallel in pairs)
    rows = [f"| (a) CASH search, {cash_trials} trials (digits, RBF SVM / MLP, 5-fold; "
            f"{serial_s / cash_trials:.1f} s a trial serially) | "
            f"{serial_s:.1f} s with 1 worker | {parallel_s:.1f} s with 2 processes | "
            f"speed-up {serial_s / parallel_s:.2f}x (each repeat: {ratios}); same losses: {'yes' if same else 'NO'} |"]
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
    rows += [f"| (b) {counts[label]:,} no-op trials: {label} | {s:.2f} s | {1000 * per_trial[label]:.2f} ms per trial | "
             f"{base / counts['Optuna SQLite'] / per_trial[label]:.2f}x Optuna SQLite's speed per trial |"
             if s < float("inf") else f"| (b) {counts[label]:,} no-op trials: {label} | did not finish in 300 s | | |"
             for label, s in timings.items()]
    table = "\n".join(["| measure | | | |", "|---|---|---|---|", *rows])
    text = (f"# Execution: workers and orchestration overhead\n\n`python bench/execution.py"
            f"{' --quick' if args.quick else ''}`\n\n" + " ".join(__doc__.split("\n\n")[1].split())
            + f"\n\nSeed {args.seed}; medians of {repeats} repeats (for (a), a serial and a parallel run each); "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end.\n\n{table}\n")
    publish(text, None if args.quick else RESULTS)


if __name__ == "__main__":
    main()
