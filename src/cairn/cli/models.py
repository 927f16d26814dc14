"""``cairn models``: list, show and register model versions, and move aliases."""

from __future__ import annotations

import json

import click

from cairn.cli import main
from cairn.cli.options import json_option, store_option
from cairn.cli.output import json_default, open_store
from cairn.cli.show import print_table, size, when


@main.group()
def models() -> None:
    """The model registry: numbered versions of named models, and their aliases."""


@models.command("list")
@store_option
@json_option
def list_(store: str | None, as_json: bool) -> None:
    """List the registered models."""
    from cairn.registry.models import list_models

    rows = list_models(store=open_store(store))
    if as_json:
        click.echo(json.dumps(rows, default=json_default))
        return
    print_table("Registered models", ["name", "versions", "latest", "aliases"],
           [[r["name"], r["versions"], r["latest"], _aliases(r["aliases"])] for r in rows])


@models.command()
@click.argument("name")
@store_option
@json_option
def show(name: str, store: str | None, as_json: bool) -> None:
    """Show the versions of model NAME: run, study, dataset version, stored size."""
    from cairn.registry.models import describe_model

    info = describe_model(name, store=open_store(store))
    if as_json:
        click.echo(json.dumps(info, default=json_default))
        return
    by_version: dict[int, list[str]] = {}
    for alias, version in info["aliases"].items():
        by_version.setdefault(version, []).append(alias)
    print_table(f"Model '{name}'", ["version", "aliases", "created", "run", "study", "dataset", "class", "stored",
                               "of full", "delta of"],
           [[v["version"], ", ".join(by_version.get(v["version"], [])), when(v["created_at"]), v["run_id"][:8],
             v["study_id"], v["dataset_version"], v["model_class"].rsplit(".", 1)[-1],
             size(v["size"]), f"{v['size'] / max(v['raw_size'], 1):.0%}", v["base_version"] or "snapshot"]
            for v in info["versions"]])


@models.command()
@click.argument("run_id", metavar="RUN_ID")
@click.argument("name")
@click.option("--artifact", default="model.joblib", show_default=True, metavar="PATH",
              help="The run's artifact holding the model.")
@click.option("--dataset-version", default=None, metavar="NAME:V",
              help="Dataset version the model was trained on (default: the run's dataset_version).")
@store_option
@json_option
def register(run_id: str, name: str, artifact: str, dataset_version: str | None, store: str | None,
             as_json: bool) -> None:
    """Register the model run RUN_ID saved as the next version of model NAME."""
    from cairn.registry.models import register_model

    source = run_id if run_id.startswith("runs:/") else f"runs:/{run_id}/{artifact}"
    version = register_model(source, name, dataset_version, store=open_store(store))
    click.echo(json.dumps({"name": name, "version": version}) if as_json
               else f"registered model '{name}' version {version}")


@models.command()
@click.argument("name")
@click.argument("alias")
@click.argument("version", type=int)
@store_option
@json_option
def alias(name: str, alias: str, version: int, store: str | None, as_json: bool) -> None:
    """Point ALIAS (e.g. champion) of model NAME at VERSION."""
    from cairn.registry.models import set_alias

    set_alias(name, alias, version, store=open_store(store))
    click.echo(json.dumps({"name": name, "alias": alias, "version": version}) if as_json
               else f"model '{name}': {alias} -> version {version}")


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a}={v}" for a, v in aliases.items())
