"""The ``cairn`` command: parse, call the public API, print.

Each command lives in its own module and registers itself on :data:`main`. User
mistakes surface as one sentence on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from cairn.errors import UserError


class _Group(click.Group):
    """A click group that turns :class:`UserError` into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cairn-ml")
def main() -> None:
    """cairn: model selection and model management."""


from cairn.cli import (  # noqa: E402,F401  (commands register themselves)
    baseline,
    datasets,
    gc,
    lineage,
    models,
    nas,
    predict,
    reproduce,
    run,
    runs,
    ui,
    weak,
)
