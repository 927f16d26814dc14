"""Options several commands share, spelled once."""

from __future__ import annotations

import click

store_option = click.option("--store", default=None, metavar="URL",
                            help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


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
