"""Options several commands share, spelled once."""

from __future__ import annotations

import click

store_option = click.option("--store", default=None, metavar="URL",
                            help="Store URL (default: $CAIRN_STORE or ./.cairn/cairn.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
