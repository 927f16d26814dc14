"""``cairn reproduce``: recompute a run from its lineage and compare with what it recorded."""

from __future__ import annotations

import click

from cairn.cli import main
from cairn.cli.options import store_option
from cairn.cli.output import open_store


@main.command()
@click.argument("run_id", metavar="RUN_ID")
@store_option
def reproduce(run_id: str, store: str | None) -> None:
    """Rebuild run RUN_ID's model (or a trial's metric) from its lineage and check it.

    For the run that saved a CASH model, the model recomputed from the data must predict
    exactly as the stored one; for a trial, the recomputed metric must equal the
    recorded one. Exit code 0 on a match, 1 on a mismatch.
    """
    from cairn.lineage.runs import reproduce as reproduce_run

    outcome = reproduce_run(run_id, open_store(store))
    click.echo(f"{'match' if outcome.match else 'MISMATCH'}: {outcome.summary}")
    if not outcome.match:
        raise click.exceptions.Exit(1)
