"""Tracking: the Store (database + artifacts) that every subsystem records through."""

from cairn.track.store import DEFAULT_URL, Store, resolve_url

__all__ = ["DEFAULT_URL", "Store", "resolve_url"]
