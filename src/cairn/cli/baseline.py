"""``cairn baseline``: a few fast models cross-validated in seconds, the floor to beat."""

from __future__ import annotations

import json
import math

import click

from cairn.cli import main
from cairn.cli.options import data_options, json_option
from cairn.cli.output import json_default, make_console
from cairn.cli.show import print_table


@main.command()
@data_options
@click.option("--metric", default=None, metavar="M",
              help="Metric (default: balanced_accuracy for classification, r2 for regression).")
@click.option("--cv", type=click.IntRange(min=2), default=5, show_default=True, metavar="K",
              help="Folds of stratified (classification) k-fold cross-validation.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and the models.")
@json_option
def baseline(data: str | None, target: str | None, task: str | None, metric: str | None, cv: int, seed: int,
             as_json: bool) -> None:
    """Cross-validate a handful of fast models: the scores every search must beat."""
    from cairn.automl.baseline import run_baseline

    report = run_baseline(data, target, task, metric=metric, cv=cv, seed=seed)
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=json_default))
        return
    print_table(f"Baseline: {report.dataset} ({report.task}), {report.cv}-fold CV {report.metric}, seed {report.seed}",
                ["model", f"{report.metric} mean ± std", "fit s"],
                [[s.model, f"{s.score:.4f} ± {s.score_std:.4f}", f"{s.fit_time:.3f}"] if s.error is None
                 else [s.model, f"failed: {s.error}", ""] for s in report.scores])
    best = report.best
    if math.isfinite(best.score):
        make_console().print(f"floor to beat: {best.model} at {best.score:.4f} ({report.elapsed:.1f} s in all)",
                             highlight=False)
