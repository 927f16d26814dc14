"""``cairn runs``: list a study's trials or search runs; ``cairn runs delete``."""

from __future__ import annotations

import json
from typing import Any

import click

from cairn.cli import main
from cairn.cli.output import json_default, make_console, open_store
from cairn.errors import UserError

_STORE_HELP = "Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db)."


@main.group(invoke_without_command=True)
@click.option("--study", "study_id", type=int, default=None, help="Study id (default: the latest study).")
@click.option("--filter", "filter_", default=None, metavar="EXPR",
              help="Search runs, e.g. \"metrics.accuracy > 0.9 and params.learner = 'svm'\".")
@click.option("--order-by", multiple=True, metavar="KEY [asc|desc]",
              help="Order of searched runs, e.g. 'metrics.accuracy desc' (repeatable).")
@click.option("--max-results", type=click.IntRange(min=1), default=None, metavar="N",
              help="At most N searched runs (default 1000).")
@click.option("--experiment", default=None, metavar="NAME", help="Search the runs of this experiment only.")
@click.option("--store", default=None, metavar="URL", help=_STORE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
def runs(ctx: click.Context, study_id: int | None, filter_: str | None, order_by: tuple[str, ...],
         max_results: int | None, experiment: str | None, store: str | None, as_json: bool) -> None:
    """List the trials of a study, or search runs with --filter / --experiment / --order-by."""
    if ctx.invoked_subcommand is not None:
        return
    st = open_store(store)
    if filter_ is None and experiment is None and not order_by and max_results is None:
        _list_study(st, study_id, as_json)
        return
    found = st.search_runs(filter_, experiment, list(order_by), max_results or 1000, study_id=study_id)
    if as_json:
        click.echo(json.dumps({"runs": found}, default=json_default))
        return
    _print_search(found)


@runs.command("delete")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--store", default=None, metavar="URL", help=_STORE_HELP)
def delete(run_ids: tuple[str, ...], store: str | None) -> None:
    """Delete runs (ids or unique prefixes), their child runs and blobs only they used."""
    out = open_store(store).delete_runs(run_ids)
    click.echo(f"deleted {out['runs']} runs; removed {out['blobs']} blobs ({out['bytes']} bytes)")


def _list_study(st: Any, study_id: int | None, as_json: bool) -> None:
    study = st.study(study_id)
    if study is None:
        raise UserError("the store has no studies yet" if study_id is None else f"there is no study {study_id}")
    rows = [r for r in st.runs(study["id"]) if r["id"] != study["parent_run_id"]]
    if as_json:
        click.echo(json.dumps({"study": study, "runs": rows}, default=json_default))
        return
    _print_runs(study, rows)


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
    make_console().print(table)


def _print_search(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(rows)} runs")
    for col in ("run", "name", "status", "duration (s)", "metrics", "params"):
        table.add_column(col, overflow="fold")
    for r in rows:
        metrics = " ".join(f"{k}={v:.4g}" for k, v in sorted(r["metrics"].items()))
        params = " ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
        table.add_row(r["id"][:8], r["name"] or "", r["status"],
                      "" if r["duration"] is None else f"{r['duration']:.2f}", metrics, params)
    make_console().print(table)
