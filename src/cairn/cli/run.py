"""``cairn run``: a CASH search with a progress bar, then the leaderboard."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from cairn.cli import main
from cairn.cli.options import ByteSize, data_options
from cairn.cli.output import json_default, make_console
from cairn.execute.factory import EXECUTORS
from cairn.optim import STRATEGIES


@main.command()
@data_options
@click.option("--strategy", type=click.Choice(list(STRATEGIES)), default="random", show_default=True,
              help="Search strategy.")
@click.option("--trials", type=click.IntRange(min=1), default=None, metavar="N",
              help="Number of trials (default 40 when --time is not given).")
@click.option("--time", "time_budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Wall-clock budget of the search.")
@click.option("--cv", type=click.IntRange(min=2), default=5, show_default=True, metavar="K",
              help="Folds of stratified (classification) k-fold cross-validation.")
@click.option("--holdout", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              metavar="FRACTION", help="Validate on one holdout split of this fraction instead of k-fold CV.")
@click.option("--metric", default=None, metavar="M",
              help="accuracy, balanced_accuracy, f1_macro, log_loss, roc_auc, r2, rmse or mae.")
@click.option("--space", "space", default=None, metavar="FILE", help="A search space in YAML or JSON.")
@click.option("--trial-time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Wall-clock limit of one trial; a trial past it is recorded as failed.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option("--store", default=None, metavar="URL",
              help="SQLAlchemy URL or SQLite path of the store (default: $CAIRN_STORE or ./.cairn/cairn.db).")
@click.option("--no-reuse", "no_reuse", is_flag=True,
              help="Refit shared preprocessing for every config instead of reusing it (same results, slower).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Trials evaluated at once (worker processes, or Dask workers).")
@click.option("--executor", type=click.Choice(list(EXECUTORS)), default=None,
              help="Where trials run: serial, processes or dask (default: serial for 1 worker, else processes).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="A running Dask scheduler (tcp://host:port); without it --executor dask starts a local cluster.")
@click.option("--memory-limit", type=ByteSize(), default=None, metavar="SIZE",
              help="Memory a trial may add to its worker (e.g. 2GB); a trial past it is recorded as failed.")
@click.option("--ensemble-size", type=click.IntRange(min=0), default=50, show_default=True, metavar="N",
              help="Rounds of ensemble selection over the trials' out-of-fold predictions; the ensemble is "
                   "saved when it beats the best config on them. 0: no ensemble.")
@click.option("--resume", type=click.IntRange(min=1), default=None, metavar="STUDY_ID",
              help="Continue an interrupted study with its recorded settings; other search options are ignored.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of tables.")
def run(data: str | None, target: str | None, task: str | None, strategy: str, trials: int | None,
        time_budget: float | None, cv: int, holdout: float | None, metric: str | None, space: str | None,
        trial_time_limit: float | None, seed: int, store: str | None, no_reuse: bool, workers: int,
        executor: str | None, scheduler: str | None, memory_limit: int | None, ensemble_size: int,
        resume: int | None, as_json: bool) -> None:
    """Search learners and hyperparameters (CASH), then refit the best and test it."""
    from cairn.cash import run_cash

    with _progress(trials, time_budget, enabled=not as_json) as on_trial:
        report = run_cash(data, target, task, strategy=strategy, n_trials=trials, time_budget=time_budget,
                          cv=cv, holdout=holdout, metric=metric, seed=seed, store=store, space=space,
                          trial_time_limit=trial_time_limit, callbacks=[on_trial] if on_trial else [],
                          reuse=not no_reuse, workers=workers, executor=executor, scheduler=scheduler,
                          memory_limit=memory_limit, ensemble_size=ensemble_size, resume=resume)
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=json_default))
        return
    _print_report(report)


def _progress(n_trials: int | None, time_budget: float | None, enabled: bool) -> Any:
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    @contextmanager
    def bar() -> Any:
        if not enabled:
            yield None
            return
        by_time = n_trials is None and time_budget is not None
        total = time_budget if by_time else (n_trials or 40)
        columns = [TextColumn("[bold]searching"), BarColumn(),
                   TextColumn("{task.fields[done]} trials") if by_time else MofNCompleteColumn(),
                   TextColumn("best loss {task.fields[best]}"), TimeElapsedColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("search", total=total, best="-", done=0)

            def on_trial(p: Any) -> None:
                best = f"{p.best_loss:.4f}" if math.isfinite(p.best_loss) else "-"
                progress.update(task, completed=min(p.elapsed, total) if by_time else p.done, best=best, done=p.done)

            yield on_trial

    return bar()


def _print_report(report: Any) -> None:
    from rich.table import Table

    from cairn.automl.engine import with_ensemble

    console = make_console()
    table = Table(title=f"Leaderboard: {report.dataset} ({report.task}), CV {report.metric}, "
                        f"{report.strategy}, seed {report.seed}")
    for col, justify in [("rank", "right"), ("trial", "right"), ("learner", "left"), ("config", "left"),
                         ("CV mean ± std", "right"), ("fit s", "right")]:
        table.add_column(col, justify=justify, no_wrap=col != "config")  # type: ignore[arg-type]
    for row in with_ensemble(report.leaderboard, report.ensemble):
        if row["learner"] == "ensemble":
            members = " ".join(f"{t}:{w:.2f}" for t, w in row["config"]["members"].items())
            verdict = "saved" if row["kept"] else "not saved: no better than the best config"
            table.add_row("-", "-", "ensemble", f"trial:weight {members} ({verdict})",
                          f"{row['score']:.4f} out of fold", f"{row['fit_time']:.3f}")
            continue
        table.add_row(str(row["rank"]), str(row["trial"]), row["learner"], _short_config(row["config"]),
                      f"{row['score']:.4f} ± {row['score_std']:.4f}", f"{row['fit_time']:.3f}")
    console.print(table)
    console.print(f"trials: {report.n_trials} ({report.n_failed} failed) in {report.elapsed:.1f} s")
    saved = "the ensemble" if report.ensemble and report.ensemble["kept"] else "the refitted best config"
    console.print(f"test {report.metric} of {saved}: [bold]{report.test_score:.4f}[/bold]")
    console.print(f"model: {report.model_path}")
    console.print(f"store: {report.store} (study {report.study_id}, run {report.run_id})")


def _short_config(config: dict[str, Any], limit: int = 90) -> str:
    parts = []
    for k, v in config.items():
        if k == "learner":
            continue
        name = k.split(".", 1)[1] if "." in k else k
        parts.append(f"{name}={v:.3g}" if isinstance(v, float) else f"{name}={v}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"
