"""Does repeating the folds of a small table pay? cairn's AutoClassifier with 5-fold CV
against 5-fold CV drawn three times, paired on the same splits.

``resampling="auto"`` repeats its folds below ``SMALL_TABLE_ROWS`` rows; this is the
measurement that chose the line. Both arms fit the same training split with the same seed
and budget, one after the other in this process, and are scored once on its test split
(balanced accuracy), as ``bench/automl.py`` splits and scores. The seeds are not the
benchmark's 0..4, so the choice is not made on the splits it is judged on. The repeated
arm is ``resampling="auto"`` with the row line raised above the table, so the two arms
differ only in the repeats.

    python bench/automl_resampling.py                 # wine, iris, breast_cancer; seeds 5..14; 10 s
    python bench/automl_resampling.py --seeds 5 7 --budget 5 --datasets wine   # a quick look, printed only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _report import RESULTS, publish  # noqa: E402
from automl import load, split, test_score  # noqa: E402

OUT = RESULTS / "automl_resampling.md"
N_JOBS = 2


def fit_score(dataset: str, seed: int, budget: float, repeated: bool) -> tuple[float, int, int]:
    """Test balanced accuracy, the number of trials and the training rows of one fit."""
    import cairn
    from cairn.automl import engine

    data = load(dataset)
    X, y, X_test, y_test = split(data, seed)
    engine.SMALL_TABLE_ROWS = len(X) + 1 if repeated else 0
    model = cairn.AutoClassifier(time_budget=budget, seed=seed, n_jobs=N_JOBS, resampling="auto").fit(X, y)
    trials = int(model.leaderboard()["trial"].notna().sum())
    return test_score(data.task, y_test, model.predict(X_test)), trials, len(X)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["wine", "iris", "breast_cancer"])
    parser.add_argument("--seeds", nargs=2, type=int, default=[5, 15], metavar=("FIRST", "STOP"))
    parser.add_argument("--budget", type=float, default=10.0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from cairn.automl.engine import SMALL_TABLE_REPEATS

    started = time.perf_counter()
    seeds = range(*args.seeds)
    lines = ["| dataset | training rows | seed | 5-fold | repeated | trials 5-fold | trials repeated |",
             "|---|---|---|---|---|---|---|"]
    summary = []
    for dataset in args.datasets:
        wins = losses = 0
        gaps = []
        for seed in seeds:
            once, once_trials, rows = fit_score(dataset, seed, args.budget, repeated=False)
            repeated, repeated_trials, _ = fit_score(dataset, seed, args.budget, repeated=True)
            wins, losses = wins + (repeated > once), losses + (repeated < once)
            gaps.append(repeated - once)
            lines.append(f"| {dataset} | {rows} | {seed} | {once:.4f} | {repeated:.4f} | {once_trials} | {repeated_trials} |")
            print(lines[-1], flush=True)
        summary.append(f"- {dataset}: repeated folds better on {wins}, worse on {losses}, equal on "
                       f"{len(gaps) - wins - losses} of {len(gaps)} splits; mean gain {statistics.mean(gaps):+.4f}")
    command = " ".join(["python bench/automl_resampling.py", *(argv if argv is not None else sys.argv[1:])])
    text = (f"# Repeated folds on small tables\n\n`{command}`\n\n"
            f"cairn's AutoClassifier, time budget {args.budget:g} s, n_jobs={N_JOBS}, seeds {seeds.start}..{seeds.stop - 1}: "
            f"5-fold CV against 5-fold CV drawn {SMALL_TABLE_REPEATS} times, paired on each seed's 75/25 split "
            "(as bench/automl.py splits); test balanced accuracy.\n\n"
            + "\n".join(summary) + "\n\n" + "\n".join(lines)
            + f"\n\nThis run took {(time.perf_counter() - started) / 60:.1f} min.\n")
    default = argv is None and sys.argv[1:] == []
    publish(text, OUT if default else None)


if __name__ == "__main__":
    main()
