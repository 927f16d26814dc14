"""Options several commands share, spelled once."""

from __future__ import annotations

from typing import Any

import click

store_option = click.option("--store", default=None, metavar="URL",
                            help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


def data_options(command: Any) -> Any:
    """``--data``, ``--target`` and ``--task``: which data a command learns from."""
    for option in reversed([
        click.option("--data", "data", default=None, metavar="NAME|PATH",
                     help="Bundled dataset (iris, wine, breast_cancer, digits, diabetes) or a CSV/Parquet file. "
                          "Default: wine."),
        click.option("--target", default=None, metavar="COL", help="Target column of a file (default: its last column)."),
        click.option("--task", type=click.Choice(["classification", "regression"]), default=None,
                     help="Override the task inferred from the target."),
    ]):
        command = option(command)
    return command


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


class ByteSize(click.ParamType):
    """``2GB``, ``512MiB`` or a plain byte count, as a number of bytes."""

    name = "size"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().replace(" ", "")
        number = text.rstrip("KMGTIB")
        try:
            size = float(number) * _UNITS[text[len(number):]]
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size such as 2GB, 512MiB or 1000000", param, ctx)
        if not size >= 1:
            self.fail(f"{value!r} is not a positive size", param, ctx)
        return int(size)
