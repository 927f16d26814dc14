"""User-facing errors.

Every mistake a user can make (a bad file, column, space, config or filter) raises a
:class:`UserError` subclass carrying one clear sentence. The CLI prints that sentence and
exits with code 2 instead of showing a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave cairn, explained in one sentence."""

    exit_code = 2


class SpaceError(UserError):
    """An invalid search space definition."""


class ConfigError(UserError):
    """A configuration that does not belong to its space."""


class DataError(UserError):
    """Input data that cannot be used for the requested task."""


class StoreError(UserError):
    """A store URL or store content that cannot be used."""


class FilterError(UserError):
    """A run filter or ordering that does not parse; the message points at the position."""


class ArtifactError(UserError):
    """An artifact path that could escape its run, or an artifact that does not exist."""


class RegistryError(UserError):
    """An unknown model, version, alias or dataset, a malformed URI or name."""


class SearchExhausted(Exception):
    """Raised by ``Optimizer.ask`` when a finite strategy has nothing left to propose."""
