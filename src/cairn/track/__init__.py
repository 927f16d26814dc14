"""Tracking: the Store (database + artifacts) that every subsystem records through.

``store`` holds the database and blobs, ``run`` the handle everything logs through,
``fluent`` the module-level API (``cairn.start_run`` ...), ``query`` the filter language,
``artifacts`` the blob directory, ``buffer`` batched metric writes, ``autolog``
scikit-learn autologging.
"""

from cairn.track.run import Run
from cairn.track.store import DEFAULT_URL, Store, resolve_url

__all__ = ["DEFAULT_URL", "Run", "Store", "resolve_url"]
