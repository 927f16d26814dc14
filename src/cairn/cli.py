"""The ``cairn`` command: parse, call the public API, print.

User mistakes surface as one sentence on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import click

from cairn.errors import UserError
from cairn.optim import STRATEGIES


class _Group(click.Group):
    """A click group that turns :class:`UserError` into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cairn-ml")
def main() -> None:
    """cairn: model selection and model management."""


@main.command()
@click.option("--data", "data", default=None, metavar="NAME|PATH",
              help="Bundled dataset (iris, wine, breast_cancer, digits, diabetes) or a CSV/Parquet file. Default: wine.")
@click.option("--target", default=None, metavar="COL", help="Target column of a file (default: its last column).")
@click.option("--task", type=click.Choice(["classification", "regression"]), default=None,
              help="Override the task inferred from the target.")
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
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of tables.")
def run(data: str | None, target: str | None, task: str | None, strategy: str, trials: int | None,
        time_budget: float | None, cv: int, holdout: float | None, metric: str | None, space: str | None,
        trial_time_limit: float | None, seed: int, store: str | None, as_json: bool) -> None:
    """Search learners and hyperparameters (CASH), then refit the best and test it."""
    from cairn.cash import run_cash

    with _progress(trials, time_budget, enabled=not as_json) as on_trial:
        report = run_cash(data, target, task, strategy=strategy, n_trials=trials, time_budget=time_budget,
                          cv=cv, holdout=holdout, metric=metric, seed=seed, store=store, space=space,
                          trial_time_limit=trial_time_limit, callbacks=[on_trial] if on_trial else [])
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=_json_default))
        return
    _print_report(report)


@main.command()
@click.option("--study", "study_id", type=int, default=None, help="Study id (default: the latest study).")
@click.option("--store", default=None, metavar="URL", help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(study_id: int | None, store: str | None, as_json: bool) -> None:
    """List the runs (trials) of a study."""
    from cairn.track import Store, resolve_url

    url = resolve_url(store)
    if url.startswith("sqlite:///") and not _sqlite_exists(url):
        raise UserError(f"there is no store at '{url[len('sqlite:///'):]}' yet; run 'cairn run' first")
    st = Store(url)
    study = st.study(study_id)
    if study is None:
        raise UserError("the store has no studies yet" if study_id is None else f"there is no study {study_id}")
    rows = [r for r in st.runs(study["id"]) if r["id"] != study["parent_run_id"]]
    if as_json:
        click.echo(json.dumps({"study": study, "runs": rows}, default=_json_default))
        return
    _print_runs(study, rows)


# --------------------------------------------------------------------------- output


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

    console = _console()
    table = Table(title=f"Leaderboard: {report.dataset} ({report.task}), CV {report.metric}, "
                        f"{report.strategy}, seed {report.seed}")
    for col, justify in [("rank", "right"), ("trial", "right"), ("learner", "left"), ("config", "left"),
                         ("CV mean ± std", "right"), ("fit s", "right")]:
        table.add_column(col, justify=justify, no_wrap=col != "config")  # type: ignore[arg-type]
    for row in report.leaderboard:
        table.add_row(str(row["rank"]), str(row["trial"]), row["learner"], _short_config(row["config"]),
                      f"{row['score']:.4f} ± {row['score_std']:.4f}", f"{row['fit_time']:.3f}")
    console.print(table)
    console.print(f"trials: {report.n_trials} ({report.n_failed} failed) in {report.elapsed:.1f} s")
    console.print(f"test {report.metric} of the refitted best config: [bold]{report.test_score:.4f}[/bold]")
    console.print(f"model: {report.model_path}")
    console.print(f"store: {report.store} (study {report.study_id}, run {report.run_id})")


def _print_runs(study: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    metric = study["settings"].get("metric", "loss")
    table = Table(title=f"Study {study['id']} '{study['name']}' ({study['strategy']}, {study['status']})")
    for col in ("trial", "run", "status", "learner", metric, "duration (s)", "error"):
        table.add_column(col)
    for r in rows:
        value = r["metrics"].get(metric)
        table.add_row(str(r["trial_number"]), r["id"][:8], r["status"], str(r["params"].get("learner", "")),
                      "" if value is None else f"{value:.4f}",
                      "" if r["duration"] is None else f"{r['duration']:.2f}", r["tags"].get("error", ""))
    _console().print(table)


def _console() -> Any:
    """A console that does not squeeze tables to 80 columns when output is piped."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def _short_config(config: dict[str, Any], limit: int = 90) -> str:
    parts = []
    for k, v in config.items():
        if k == "learner":
            continue
        name = k.split(".", 1)[1] if "." in k else k
        parts.append(f"{name}={v:.3g}" if isinstance(v, float) else f"{name}={v}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sqlite_exists(url: str) -> bool:
    from pathlib import Path

    return Path(url[len("sqlite:///"):]).exists()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
