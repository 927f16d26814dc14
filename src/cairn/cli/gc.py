"""``cairn gc``: reclaim the artifact blobs nothing references any more."""

from __future__ import annotations

import json

import click

from cairn.cli import main
from cairn.cli.output import open_store


@main.command()
@click.option("--store", default=None, metavar="URL", help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def gc(store: str | None, as_json: bool) -> None:
    """Remove every artifact blob that no run references."""
    out = open_store(store).gc()
    click.echo(json.dumps(out) if as_json else f"removed {out['blobs']} blobs ({out['bytes']} bytes)")
