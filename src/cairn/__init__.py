"""cairn: model selection and model management.

Only re-exports live here. Heavy modules (scikit-learn, pandas, SQLAlchemy) load on first
use so that ``import cairn`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Space": "cairn.space",
    "Float": "cairn.space",
    "Int": "cairn.space",
    "Categorical": "cairn.space",
    "Constant": "cairn.space",
    "Config": "cairn.space",
    "Trial": "cairn.trial",
    "Result": "cairn.trial",
    "TrialState": "cairn.trial",
    "UserError": "cairn.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted(_EXPORTS)
