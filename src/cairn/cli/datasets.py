"""``cairn datasets``: list dataset versions, show one, diff two."""

from __future__ import annotations

import json
from typing import Any

import click

from cairn.cli import main
from cairn.cli.options import json_option, store_option
from cairn.cli.output import json_default, open_store
from cairn.cli.show import print_table, size, when


@main.group()
def datasets() -> None:
    """Dataset versions: each a row delta against its parent."""


@datasets.command("list")
@store_option
@json_option
def list_(store: str | None, as_json: bool) -> None:
    """List the registered datasets."""
    from cairn.registry.datasets import list_datasets

    rows = list_datasets(store=open_store(store))
    if as_json:
        click.echo(json.dumps(rows, default=json_default))
        return
    print_table("Registered datasets", ["name", "versions", "latest", "rows"],
                [[r["name"], r["versions"], r["latest"], r["n_rows"]] for r in rows])


@datasets.command()
@click.argument("name")
@click.option("--version", "version", type=int, default=None, metavar="V",
              help="Show this version's columns and first rows instead of the list of versions.")
@click.option("--rows", "n_rows", type=click.IntRange(min=0), default=10, show_default=True, metavar="N",
              help="How many rows --version shows.")
@store_option
@json_option
def show(name: str, version: int | None, n_rows: int, store: str | None, as_json: bool) -> None:
    """Show the versions of dataset NAME, or one version's columns and first rows."""
    from cairn.registry.datasets import describe_dataset, get_dataset

    st = open_store(store)
    info = describe_dataset(name, store=st)
    if version is not None:
        head = get_dataset(name, version, store=st).head(n_rows)
        meta = next(v for v in info["versions"] if v["version"] == version)
        if as_json:
            click.echo(json.dumps({"name": name, "version": meta, "rows": _records(head)}, default=json_default))
            return
        print_table(f"Dataset '{name}' version {version}: {meta['n_rows']} rows; columns "
                    + ", ".join(f"{c} ({d})" for c, d in meta["columns"]), list(map(str, head.columns)),
                    head.values.tolist())
        return
    if as_json:
        click.echo(json.dumps(info, default=json_default))
        return
    print_table(f"Dataset '{name}'", ["version", "parent", "created", "rows", "added", "removed", "stored",
                                      "delta of", "columns"],
                [[v["version"], v["parent_version"], when(v["created_at"]), v["n_rows"], v["n_added"],
                  v["n_removed"], size(v["size"]), v["base_version"] or "snapshot", len(v["columns"])]
                 for v in info["versions"]])


@datasets.command()
@click.argument("name")
@click.argument("v1", type=int)
@click.argument("v2", type=int)
@click.option("--rows", "n_rows", type=click.IntRange(min=0), default=20, show_default=True, metavar="N",
              help="How many added and removed rows to print (JSON has them all).")
@store_option
@json_option
def diff(name: str, v1: int, v2: int, n_rows: int, store: str | None, as_json: bool) -> None:
    """Rows version V2 of dataset NAME adds to V1, and rows it removes."""
    from cairn.registry.datasets import dataset_diff

    added, removed = dataset_diff(name, v1, v2, store=open_store(store))
    if as_json:
        click.echo(json.dumps({"name": name, "from": v1, "to": v2, "added": _records(added),
                               "removed": _records(removed)}, default=json_default))
        return
    for label, frame in (("added", added), ("removed", removed)):
        print_table(f"rows {label} from version {v1} to {v2}: {len(frame)}", list(map(str, frame.columns)),
                    frame.head(n_rows).values.tolist())


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows as JSON objects; missing values become null."""
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))
