"""Printing for listing commands: titled tables, sizes, times."""

from __future__ import annotations

import time
from typing import Any

from cairn.cli.output import make_console


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A title line, then a rich table of ``rows`` (cells printed with ``str``; ``None``
    blank). The title is not the table's own, which would wrap to a narrow table's width."""
    from rich.table import Table

    table = Table()
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console = make_console()
    console.print(title, style="bold", highlight=False)
    console.print(table)


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"
