"""``cairn ui``: serve the web UI and REST API over a store."""

from __future__ import annotations

import click

from cairn.cli import main
from cairn.cli.options import store_option
from cairn.cli.output import open_store
from cairn.errors import UserError


@main.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs a token.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port to listen on.")
@click.option("--token", envvar="CAIRN_UI_TOKEN", default=None, metavar="TOKEN",
              help="Require this token on every request (default: $CAIRN_UI_TOKEN). Browsers open /?token=TOKEN once.")
@click.option("--allow-writes", is_flag=True, help="Allow tagging runs, setting aliases and deleting runs.")
def ui(store: str | None, host: str, port: int, token: str | None, allow_writes: bool) -> None:
    """Browse studies, runs, models and lineage in a web browser (needs the ui extra)."""
    from cairn.ui.security import check_bind, is_loopback

    check_bind(host, token)
    try:
        import plotly  # noqa: F401  (its package ships the charts' script)
        import uvicorn

        from cairn.ui import create_app
    except ImportError as exc:
        raise UserError(f"the web UI needs the ui extra ({exc.name} is missing): pip install 'cairn-ml[ui]'") from None
    app = create_app(open_store(store), token=token, allow_writes=allow_writes, loopback_only=is_loopback(host))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"cairn ui on http://{shown}:{port}/ ({'writes allowed' if allow_writes else 'read-only'}"
               f"{', token required' if token else ''}); Ctrl-C stops it", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
