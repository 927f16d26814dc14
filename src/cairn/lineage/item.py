"""Lineage items: what a value was computed from, as an immutable DAG (after LIMA).

An :class:`Item` names one operation, its inputs (other items), an optional literal (the
operation's parameters as canonical text), an optional data fingerprint and the seed of
any random choice. Its digest is computed once, at construction, from those fields and
the inputs' digests, so hashing costs the same for a 10-row and a 10-million-row input:
data enters only as a fingerprint computed once when the data was loaded.

Equality first compares digests, then (on a match) walks both DAGs side by side with an
explicit stack, so a deep chain (thousands of epochs) never meets the recursion limit.
Items are the keys of the reuse cache, so equal items must mean "the same value".

A :class:`Patch` is a reusable sub-DAG with placeholders (LIMA's loop and function
deduplication): a fold or an epoch is traced once as a body, and each iteration is one
small ``patch`` item that names the body and its actual inputs.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from cairn.errors import UserError

#: The operation of a placeholder inside a patch body; its literal is the argument index.
ARG = "arg"
#: The operation of a patch instance; its literal is the patch name.
PATCH = "patch"
#: Op names and fingerprints are written unquoted into tab-separated trace lines.
_TRACE_FIELD = re.compile(r"[^\t\r\n]+")


class Item:
    """One node of a lineage DAG; immutable, hashable, cheap to build.

    ``literal`` is text (see :func:`canonical`); ``data`` a fingerprint of external data;
    ``seed`` the seed of the operation's random choices, if it makes any.
    """

    __slots__ = ("op", "inputs", "literal", "data", "seed", "body", "digest", "height", "_hash")

    op: str
    inputs: tuple[Item, ...]
    literal: str | None
    data: str | None
    seed: int | None
    body: Item | None
    digest: bytes
    height: int

    def __init__(self, op: str, inputs: Sequence[Item] = (), literal: str | None = None,
                 data: str | None = None, seed: int | None = None, *, body: Item | None = None):
        if not isinstance(op, str) or not _TRACE_FIELD.fullmatch(op):
            raise UserError(f"a lineage operation must be a non-empty string without tabs or newlines, got {op!r}")
        if data is not None and (not isinstance(data, str) or not _TRACE_FIELD.fullmatch(data)):
            raise UserError(f"the data of lineage operation '{op}' must be a fingerprint (non-empty text without "
                            f"tabs or newlines), not {data!r:.40}")
        if literal is not None and not isinstance(literal, str):
            raise UserError(f"the literal of lineage operation '{op}' must be canonical text (see canonical), "
                            f"got {type(literal).__name__}")
        inputs = tuple(inputs)
        if not all(isinstance(i, Item) for i in inputs):
            raise UserError(f"the inputs of lineage operation '{op}' must be lineage items")
        if seed is not None:
            seed = int(seed)
        h = hashlib.blake2b(digest_size=16)
        h.update(json.dumps([op, literal, data, seed, body.digest.hex() if body is not None else None]).encode())
        for i in inputs:
            h.update(i.digest)
        digest = h.digest()
        height = 1 + max((i.height for i in inputs), default=-1)
        for name, value in (("op", op), ("inputs", inputs), ("literal", literal), ("data", data),
                            ("seed", seed), ("body", body), ("digest", digest), ("height", height),
                            ("_hash", int.from_bytes(digest[:8], "little", signed=True))):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("lineage items are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("lineage items are immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # Through the text trace: pickling the DAG directly would recurse once per level.
        from cairn.lineage.trace import parse, serialize

        return parse, (serialize(self),)

    @property
    def id(self) -> str:
        """The digest as 32 hex digits."""
        return self.digest.hex()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Item) or self.digest != other.digest:
            return False
        stack, seen = [(self, other)], set()
        while stack:
            a, b = stack.pop()
            if a is b or (id(a), id(b)) in seen:
                continue
            seen.add((id(a), id(b)))
            if (a.op, a.literal, a.data, a.seed, len(a.inputs), a.body is None) != \
                    (b.op, b.literal, b.data, b.seed, len(b.inputs), b.body is None):
                return False
            stack.extend(zip(a.inputs, b.inputs, strict=True))
            if a.body is not None:
                stack.append((a.body, b.body))  # type: ignore[arg-type]
        return True

    def __repr__(self) -> str:
        parts = [self.op] + [f"{k}={v!r}" for k, v in (("literal", self.literal), ("data", self.data),
                                                         ("seed", self.seed)) if v is not None]
        return f"Item({', '.join(parts)}, inputs={len(self.inputs)}, id={self.id[:8]})"

    def walk(self) -> Iterator[Item]:
        """Every item of the DAG once, inputs before the items that use them (patch
        bodies are not entered)."""
        done: set[int] = set()
        stack: list[tuple[Item, bool]] = [(self, False)]
        while stack:
            item, expanded = stack.pop()
            if id(item) in done:
                continue
            if expanded:
                done.add(id(item))
                yield item
                continue
            stack.append((item, True))
            stack.extend((i, False) for i in reversed(item.inputs) if id(i) not in done)


def leaf(op: str, literal: Any = None, data: str | None = None, seed: int | None = None) -> Item:
    """An item without inputs, its literal made canonical with :func:`canonical`."""
    return Item(op, (), None if literal is None else canonical(literal), data, seed)


def dataset(fingerprint: str, name: str = "") -> Item:
    """The item of a loaded dataset, known by the fingerprint computed when it loaded."""
    return Item("data", (), canonical(name), fingerprint)


def canonical(value: Any) -> str:
    """Canonical text of a literal: equal values give equal text, whatever their types.

    Dicts are sorted by key, numpy scalars and arrays become Python numbers and lists,
    floats keep every bit (``repr``), estimators become their class and parameters.
    """
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=True)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, np.ndarray):
        return {"ndarray": _plain(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "get_params"):  # a scikit-learn estimator: its class and parameters
        cls = type(value)
        return {"class": f"{cls.__module__}.{cls.__qualname__}", "params": _plain(value.get_params(deep=False))}
    if callable(value) and hasattr(value, "__qualname__"):
        return {"function": f"{value.__module__}.{value.__qualname__}"}
    raise UserError(f"cannot use a {type(value).__name__} as a lineage literal")


class Patch:
    """A sub-DAG traced once, with ``n_args`` placeholders, and instantiated per use.

    ``build(*args)`` returns the item that the body computes from items ``args``; it is
    called once with placeholders to make the body. ``patch(*args)`` gives the compact
    instance item; :func:`expand` turns an instance back into ``build(*args)``'s DAG.
    """

    def __init__(self, name: str, n_args: int, build: Callable[..., Item]):
        self.name = name
        self.n_args = n_args
        self.build = build
        self.body = build(*(Item(ARG, (), str(k)) for k in range(n_args)))

    def __call__(self, *args: Item) -> Item:
        if len(args) != self.n_args:
            raise UserError(f"patch '{self.name}' takes {self.n_args} inputs, got {len(args)}")
        return Item(PATCH, args, canonical(self.name), body=self.body)


def expand(item: Item) -> Item:
    """The same DAG with every patch instance replaced by its body on its actual inputs."""
    memo: dict[int, Item] = {}
    for node in item.walk():
        inputs = tuple(memo[id(i)] for i in node.inputs)
        if node.op == PATCH:
            memo[id(node)] = _substitute(node.body, inputs)  # type: ignore[arg-type]
        elif inputs != node.inputs:
            memo[id(node)] = Item(node.op, inputs, node.literal, node.data, node.seed, body=node.body)
        else:
            memo[id(node)] = node
    return memo[id(item)]


def _substitute(body: Item, args: tuple[Item, ...]) -> Item:
    body = expand(body)
    memo: dict[int, Item] = {}
    for node in body.walk():
        if node.op == ARG:
            memo[id(node)] = args[int(node.literal)]  # type: ignore[arg-type]
        else:
            memo[id(node)] = Item(node.op, tuple(memo[id(i)] for i in node.inputs), node.literal, node.data,
                                  node.seed)
    return memo[id(body)]
