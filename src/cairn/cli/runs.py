"""``cairn runs``: the trials of a study, as a table or JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from cairn.cli import main
from cairn.cli.output import json_default, make_console, open_store
from cairn.errors import UserError


@main.command()
@click.option("--study", "study_id", type=int, default=None, help="Study id (default: the latest study).")
@click.option("--store", default=None, metavar="URL", help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(study_id: int | None, store: str | None, as_json: bool) -> None:
    """List the runs (trials) of a study."""
    st = open_store(store)
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
