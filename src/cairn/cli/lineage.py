"""``cairn lineage``: the lineage DAG stored with a run, as text or Graphviz dot."""

from __future__ import annotations

import click

from cairn.cli import main
from cairn.cli.options import store_option
from cairn.cli.output import open_store


@main.command()
@click.argument("run_id", metavar="RUN_ID")
@click.option("--dot", "as_dot", is_flag=True, help="Print Graphviz dot (e.g. | dot -Tsvg > lineage.svg).")
@store_option
def lineage(run_id: str, as_dot: bool, store: str | None) -> None:
    """Print what run RUN_ID's results were computed from: data, splits, fits, metrics.

    A patch body (one fold of cross-validation) is shown once; each fold is one
    ``patch`` item naming it and its own split rows.
    """
    from cairn.lineage import show
    from cairn.lineage.runs import load_trace

    root = load_trace(open_store(store), run_id)
    click.echo(show.dot(root) if as_dot else show.text(root), nl=False)
