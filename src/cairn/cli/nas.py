"""``cairn nas``: search network architectures for digits, by training or on the table."""

from __future__ import annotations

import json

import click

from cairn.cli import main
from cairn.cli.options import json_option, store_option
from cairn.cli.output import json_default, make_console
from cairn.cli.show import print_table
from cairn.errors import UserError

#: How many architectures the table shows.
SHOWN = 10


@main.command()
@click.option("--data", default="digits", show_default=True, metavar="NAME",
              help="The task: scikit-learn's bundled digits 8x8 (the only one so far).")
@click.option("--strategy", default="nas-evolution", show_default=True, metavar="NAME",
              help="Search strategy: nas-evolution, nas-rl, nas-bo, random, hyperband, bohb, ...")
@click.option("--trials", type=click.IntRange(min=1), default=None, metavar="N",
              help="Architectures to evaluate (default 50 without --time-budget).")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop after this many seconds.")
@click.option("--space", type=click.Choice(["table", "cell", "mlp", "cnn"]), default="table", show_default=True,
              help="table: the benchmark's one-cell space; cell: NASNet normal and reduction cells; "
                   "mlp/cnn: depth, widths and kernels.")
@click.option("--epochs", type=click.IntRange(min=1), default=9, show_default=True,
              help="Training epochs of a full evaluation (the top fidelity of hyperband/bohb).")
@click.option("--benchmark", is_flag=True,
              help="Look architectures up in the tabular benchmark instead of training them.")
@click.option("--experiment", default="nas", show_default=True, help="Experiment of the study.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search and of training.")
@store_option
@json_option
def nas(data: str, strategy: str, trials: int | None, time_budget: float | None, space: str, epochs: int,
        benchmark: bool, experiment: str, seed: int, store: str | None, as_json: bool) -> None:
    """Search network architectures and record the search as a study."""
    from cairn.nas.search import run_nas
    from cairn.track import resolve_url

    if data != "digits":
        raise UserError(f"cairn nas searches architectures for 'digits' only, not {data!r}")
    if trials is None and time_budget is None:
        trials = 50
    report = run_nas(strategy=strategy, n_trials=trials, time_budget=time_budget, space=space, max_epochs=epochs,
                     benchmark=benchmark, seed=seed, store=resolve_url(store), experiment=experiment)
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=json_default))
        return
    how = "table look-up" if benchmark else f"training up to {epochs} epochs"
    print_table(f"NAS on digits: {strategy}, {space} space, {how}, seed {seed}",
                ["rank", "trial", "architecture", "epochs", "val acc", "test acc", "params", "train s"],
                [[i + 1, r["trial"], r["architecture"], r["epochs"], f"{r['val_acc']:.4f}",
                  "" if r["test_acc"] is None else f"{r['test_acc']:.4f}", r["params"],
                  "" if r["seconds"] is None else f"{r['seconds']:.2f}"] for i, r in enumerate(report.rows[:SHOWN])])
    console = make_console()
    console.print(f"trials: {report.n_trials} in {report.elapsed:.1f} s", highlight=False)
    console.print(f"store: {report.store} (study {report.study_id})", highlight=False)
