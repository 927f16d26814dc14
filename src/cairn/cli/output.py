"""Output helpers shared by the commands: consoles, JSON, opening an existing store."""

from __future__ import annotations

from typing import Any

from cairn.errors import UserError


def make_console() -> Any:
    """A console that does not squeeze tables to 80 columns when output is piped."""
    from rich.console import Console

    terminal = Console()
    return terminal if terminal.is_terminal else Console(width=160)


def json_default(value: Any) -> Any:
    """JSON for numpy scalars and anything else printable."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def open_store(url: str | None) -> Any:
    """The store at ``url``; a missing SQLite file is a user error, not a new empty store."""
    from pathlib import Path

    from cairn.track import Store, resolve_url

    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///") and not Path(resolved[len("sqlite:///"):]).exists():
        raise UserError(f"there is no store at '{resolved[len('sqlite:///'):]}' yet; run 'cairn run' first")
    return Store(resolved)


def write_csv(table: Any, output: str | None, what: str) -> bool:
    """Write the DataFrame ``table`` as CSV to the file ``output``, or to stdout without
    one; True when it went to a file (the caller then says so on its own line)."""
    import click

    if output is None:
        click.echo(table.to_csv(index=False), nl=False)
        return False
    try:
        table.to_csv(output, index=False)
    except OSError as exc:
        raise UserError(f"cannot write the {what} to '{output}': {exc.strerror or exc}") from None
    return True
