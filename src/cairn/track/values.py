"""How logged values are checked and typed on their way into the store.

Checks run when a value is logged, not when a buffered batch is written, so a bad name
or value raises at the call that made it and never poisons a batch.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from cairn.errors import StoreError

MAX_KEY = 256
_INT64 = 2**63


def check_key(key: Any, kind: str) -> str:
    """A param, metric or tag name: a non-empty string of at most 256 characters."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY or "\x00" in key:
        raise StoreError(f"a {kind} name must be a non-empty string of at most {MAX_KEY} characters, got {key!r}")
    return key


def metric_value(key: str, value: Any) -> float | None:
    """A metric as a float; non-finite numbers are stored as missing (``None``)."""
    if isinstance(value, (str, bytes)):
        raise StoreError(f"metric '{key}' must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreError(f"metric '{key}' must be a number, got {value!r}") from None
    return number if math.isfinite(number) else None


def check_step(step: Any) -> int:
    """A metric step: an integer that fits in 64 bits."""
    try:
        value = operator.index(step)
    except TypeError:
        raise StoreError(f"a metric step must be an integer, got {step!r}") from None
    if not -_INT64 <= value < _INT64:
        raise StoreError(f"a metric step must fit in 64 bits, got {value}")
    return value


def check_timestamp(timestamp: Any) -> float:
    """A timestamp in seconds since the epoch."""
    try:
        value = float(timestamp)
    except (TypeError, ValueError):
        raise StoreError(f"a timestamp must be seconds since the epoch, got {timestamp!r}") from None
    if not math.isfinite(value):
        raise StoreError(f"a timestamp must be a finite number, got {timestamp!r}")
    return value


def encode_param(value: Any) -> tuple[str, str | None, float | None]:
    """Split a parameter value into (type, text, number) so types survive the round trip."""
    if value is None:
        return "none", None, None
    if isinstance(value, bool):
        return "bool", "true" if value else "false", float(value)
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return "int", str(int(value)), float(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return "float", repr(float(value)), float(value)
    return "str", str(value), None


def decode_param(value_type: str, value: str | None) -> Any:
    if value_type == "none":
        return None
    if value_type == "bool":
        return value == "true"
    if value_type == "int":
        return int(value)  # type: ignore[arg-type]
    if value_type == "float":
        return float(value)  # type: ignore[arg-type]
    return value
