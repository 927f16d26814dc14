"""Neural architecture search: cairn's strategies on the tabular benchmark, the one-shot
ranking, and a real search against hand-made and scikit-learn baselines.

*Table* (``src/cairn/nas/data/digits_table.json.gz``, built by
``bench/build_nas_table.py``: every one of the 1,386 cells of ``table_space()`` trained
on digits 8x8, validation and test accuracy after 1, 3 and 9 epochs). Each strategy runs
once per seed (50 seeds) for 200 evaluations, every evaluation a look-up; the answer
after ``n`` evaluations is the evaluated cell with the best validation accuracy, and its
regret is the table's best test accuracy minus that cell's test accuracy (NAS-Bench-101's
convention). Hyperband and BOHB get epochs 1, 3, 9 as their fidelity and are charged
``epochs / 9`` of an evaluation per trial. The peer in the same run is Optuna's
``TPESampler`` (and its ``RandomSampler``) on the same parameters and look-ups. The
target: evolution, the RL controller and BO reach lower regret than random search after
100 evaluations, by a one-sided Mann-Whitney U test over the 50 seeds (p < 0.05).

*One-shot*: a weight-sharing supernet of the table's space is trained once
(``cairn.nas.oneshot``), every cell of the table is scored with inherited weights, and
Kendall's tau is taken against the cells' stand-alone validation and test accuracy at 9
epochs. The target: tau >= 0.5.

*Real* (``--real``): ``cairn nas`` searching the table's space by training each network
(regularised evolution, 9 epochs a network, ``--real-budget`` seconds, 600 by default),
then the best architecture it found, a hand-designed CNN (3x3 convolutions of 16, 32 and
64 channels with BatchNorm, global pooling) and the table's recipe retrained under 3
seeds each, beside scikit-learn's MLP chosen by a cairn CASH search (``learner=mlp``,
random search, 5-fold CV on the training and validation images, 120 s) and fitted on
them. All are scored on the same 400 test images.

    python bench/nas.py              # table + one-shot; writes bench/results/nas.md
    python bench/nas.py --real       # also the real search (about 13 more minutes)
    python bench/nas.py --quick      # 10 seeds, 100 evaluations, a 200-cell one-shot sample; printed only
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import optuna
import torch

from _report import RESULTS, publish
from cairn.nas.regret import METRICS, RegretCurves, compare, regret_curves_by_metric, search_regrets
from cairn.nas.table import Table
from cairn.space import Config, Space
from cairn.trial import Result, Trial, TrialState
from peers import native, optuna_distributions, optuna_study

CAIRN_STRATEGIES = ("random", "nas-evolution", "nas-rl", "nas-bo", "hyperband", "bohb")
TARGETS = ("nas-evolution", "nas-rl", "nas-bo")
CHECKPOINTS = (50, 100, 200)


class _OptunaSearch:
    """Optuna's sampler behind cairn's ask/tell, so :func:`search_regrets` scores it alike."""

    def __init__(self, space: Space, sampler: str, seed: int):
        self.space, self.study, self.dists = space, optuna_study(sampler, seed), optuna_distributions(space)
        self._pending: dict[int, optuna.trial.Trial] = {}

    def ask(self) -> Trial:
        trial = self.study.ask(self.dists)
        self._pending[trial.number] = trial
        return Trial(trial.number, Config(native(self.space, trial.params)))

    def tell(self, trial: Trial, result: Result) -> None:
        self.study.tell(self._pending.pop(trial.id), result.loss)
        trial.result, trial.state = result, TrialState.COMPLETE


def optuna_curves(table: Table, name: str, n_evals: int, seeds: list[int]) -> dict[str, RegretCurves]:
    space, sampler = table.space.space(), name.removeprefix("optuna-")
    runs = [search_regrets(table, _OptunaSearch(space, sampler, s), n_evals) for s in seeds]
    return {m: RegretCurves(name, seeds, np.array([r[m] for r in runs]), False) for m in METRICS}


def table_part(table: Table, seeds: list[int], n_evals: int) -> tuple[str, dict[tuple[str, str], bool]]:
    curves, seconds = {}, {}
    for name in CAIRN_STRATEGIES + ("optuna-tpe", "optuna-random"):
        start = time.perf_counter()
        curves[name] = (optuna_curves(table, name, n_evals, seeds) if name.startswith("optuna")
                        else regret_curves_by_metric(table, name, n_evals, seeds))
        seconds[name] = time.perf_counter() - start
        print(f"  {name}: {seconds[name]:.1f} s", flush=True)
    points = [n for n in CHECKPOINTS if n <= n_evals]
    mid = 100 if n_evals >= 100 else points[-1]
    best_val = max(table.lookup(k).val_acc for k in table.keys)
    met, lines = {}, []
    for metric, best in (("test", table.best_test_acc), ("val", best_val)):
        lines += [f"**{'Test' if metric == 'test' else 'Validation'} regret** in accuracy points (the table's best "
                  f"{metric} accuracy is {100 * best:.2f} %), median [25th, 75th percentile] over {len(seeds)} seeds "
                  f"({seeds[0]}..{seeds[-1]}); p: one-sided Mann-Whitney U that the strategy's regret after {mid} "
                  "is lower than random search's.", "",
                  "| strategy | " + " | ".join(f"after {n}" for n in points) + f" | p vs random at {mid} |"
                  + (" seconds, all seeds |" if metric == "test" else ""),
                  "|---|" + "---|" * (len(points) + (2 if metric == "test" else 1))]
        for name, by_metric in curves.items():
            c = by_metric[metric]
            cells = []
            for n in points:
                q = 100 * np.percentile(c.at(n), [50, 25, 75])
                cells.append(f"{q[0]:.2f} [{q[1]:.2f}, {q[2]:.2f}]")
            p = "-" if name == "random" else f"{compare(c, curves['random'][metric], mid).p_value:.2g}"
            if name in TARGETS:
                met[(name, metric)] = compare(c, curves["random"][metric], mid).p_value < 0.05
            unit = " (epoch-equivalents)" if c.multi_fidelity else ""
            lines.append(f"| {name}{unit} | " + " | ".join(cells) + f" | {p} |"
                         + (f" {seconds[name]:.1f} |" if metric == "test" else ""))
        lines.append("")
    return "\n".join(lines), met


def oneshot_part(table: Table, n_archs: int | None) -> tuple[str, float]:
    from cairn.nas.oneshot import kendall_tau_vs_table

    corr = kendall_tau_vs_table(table, n_archs=n_archs, seed=0)
    text = (f"Supernet trained once ({corr.train_seconds:.0f} CPU s), {len(corr.keys)} cells scored by "
            f"inheritance ({corr.score_seconds:.0f} CPU s).\n\n"
            f"| Kendall tau of one-shot validation accuracy vs | tau |\n|---|---|\n"
            f"| stand-alone validation accuracy (9 epochs) | {corr.tau_val:.3f} |\n"
            f"| stand-alone test accuracy (9 epochs) | {corr.tau_test:.3f} |")
    return text, corr.tau_val


def real_part(budget: float, mlp_budget: float) -> str:
    from cairn.nas.build import build_macro, build_network
    from cairn.nas.search import run_nas
    from cairn.nas.space import Architecture, table_space
    from cairn.nas.train import TABLE_SETTINGS, Recipe, digits_split, train_and_evaluate

    report = run_nas(strategy="nas-evolution", n_trials=None, time_budget=budget, space="table", max_epochs=9,
                     seed=0)
    best = report.best
    arch_space = table_space()
    found = next(c for c in arch_space.normal.cells() if c.key() == best["architecture"])
    data = digits_split(Recipe())
    baseline = {"depth": 3, "width0": 16, "kernel0": 3, "width1": 32, "kernel1": 3, "width2": 64, "kernel2": 3}
    rows = []
    for name, make in [("found by nas-evolution", lambda: build_network(Architecture(found), TABLE_SETTINGS)),
                       ("hand-designed CNN 16-32-64", lambda: build_macro(baseline, "cnn", TABLE_SETTINGS))]:
        accs, params = [], 0
        for seed in (0, 1, 2):
            torch.manual_seed(seed)
            curve = train_and_evaluate(make(), 9, seed, recipe=Recipe(), data=data)
            accs.append(curve.test_acc[-1])
            params = curve.params
        rows.append((name, accs, params))
    rows.append(_mlp_row(data, mlp_budget))
    lines = [f"Search: {report.n_trials} networks trained in {report.elapsed:.0f} s; best validation accuracy "
             f"{best['val_acc']:.4f} ({best['architecture']}).", "",
             "| model | test accuracy, seeds 0-2 | mean | parameters |", "|---|---|---|---|"]
    for name, accs, params in rows:
        lines.append(f"| {name} | {', '.join(f'{a:.4f}' for a in accs)} | {statistics.mean(accs):.4f} | {params} |")
    return "\n".join(lines)


def _mlp_row(data, budget: float) -> tuple[str, list[float], int]:  # noqa: ANN001
    """scikit-learn's MLP as a cairn CASH search picks it, on the networks' training and
    validation images together (its own 5-fold CV does the validating)."""
    from cairn import AutoClassifier

    X = torch.cat([data.x_train, data.x_valid]).flatten(1).numpy()
    y = torch.cat([data.y_train, data.y_valid]).numpy()
    X_test, y_test = data.x_test.flatten(1).numpy(), data.y_test.numpy()
    accs, params = [], 0
    for seed in (0, 1, 2):
        model = AutoClassifier(time_budget=budget / 3, learners=["mlp"], strategy="random", ensemble_size=0,
                               seed=seed).fit(X, y)
        accs.append(float((model.predict(X_test) == y_test).mean()))
        mlp = model.best_estimator_[-1]
        params = sum(w.size for w in mlp.coefs_) + sum(b.size for b in mlp.intercepts_)
    return f"scikit-learn MLP (cairn CASH, {budget / 3:.0f} s a seed)", accs, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--real", action="store_true", help="also run the real-training search")
    parser.add_argument("--real-budget", type=float, default=600.0)
    parser.add_argument("--mlp-budget", type=float, default=120.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = list(range(10 if args.quick else 50))
    n_evals = 100 if args.quick else 200
    table = Table.load()
    started = time.perf_counter()
    print("table part ...", flush=True)
    table_text, met = table_part(table, seeds, n_evals)
    print("one-shot part ...", flush=True)
    oneshot_text, tau = oneshot_part(table, 200 if args.quick else None)
    sections = [
        "# NAS benchmark (issue 11)", "",
        f"`python bench/nas.py{' --real' if args.real else ''}` on {platform.machine()}, {os.cpu_count()} cores "
        f"(load {os.getloadavg()[0]:.1f} at the start), torch {torch.__version__}, optuna {optuna.__version__}. "
        f"Table: {len(table)} cells, budgets {list(table.budgets)} epochs.", "",
        "## Regret on the tabular benchmark", "", table_text, "",
        "## One-shot ranking", "", oneshot_text, "",
    ]
    if args.real:
        print("real part ...", flush=True)
        sections += ["## Real search against baselines", "", real_part(args.real_budget, args.mlp_budget), ""]
    sections += ["## Targets", "", "| target | met |", "|---|---|"]
    sections += [f"| {name}: {metric} regret below random's at 100 evaluations, p < 0.05 | {'yes' if ok else 'no'} |"
                 for (name, metric), ok in met.items()]
    sections += [f"| one-shot Kendall tau >= 0.5 (validation) | {'yes' if tau >= 0.5 else 'no'} ({tau:.3f}) |", "",
                 f"Wall time: {time.perf_counter() - started:.0f} s."]
    publish("\n".join(sections), None if args.quick else RESULTS / "nas.md")


if __name__ == "__main__":
    main()
