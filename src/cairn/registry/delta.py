"""Lossless delta encoding of models (after ModelHub, Miao et al., ICDE 2017).

A model is pickled with its numeric arrays pulled out (:func:`split`): what remains, the
*skeleton*, is small and stored whole; the arrays are what fine-tuning changes a little.
An array whose shape, dtype and memory order match the base version's array at the same
position may be stored as the XOR of the two raw byte strings: bits a small update leaves
alone (sign, exponent, leading mantissa bits) become zeros, and an unchanged array becomes
all zeros. *Shuffling* the bytes (byte 0 of every element, then byte 1, ...) puts those
zeros in long runs. Each array takes whichever of raw / XOR, shuffled or not, compresses
smallest: shuffling helps weights but hurts arrays of repeated values such as tree
leaves, and XOR against an unrelated base only adds noise. XOR is its own inverse, so
decoding gives back every bit of every value; nothing is rounded. (The one thing not
kept is the undefined padding between the fields of record arrays, stored as zeros.)
"""

from __future__ import annotations

import io
import pickle
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from cairn.errors import StoreError

PROTOCOL = 5
FORMAT = 1


@dataclass
class Parts:
    """A pickled model as its skeleton and the arrays the skeleton refers to by position."""

    skeleton: bytes
    arrays: list[np.ndarray]


def _extractable(obj: Any) -> bool:
    """Plain arrays of fixed-size items (numbers, booleans, bytes, records of them)."""
    return type(obj) is np.ndarray and not obj.dtype.hasobject and obj.dtype.itemsize > 0


class _Splitter(pickle.Pickler):
    def __init__(self, file: io.BytesIO):
        super().__init__(file, protocol=PROTOCOL)
        self.arrays: list[np.ndarray] = []
        self._index: dict[int, int] = {}  # id -> position: a shared array stays shared

    def persistent_id(self, obj: Any) -> int | None:
        if not _extractable(obj):
            return None
        if id(obj) not in self._index:
            self._index[id(obj)] = len(self.arrays)
            self.arrays.append(obj)
        return self._index[id(obj)]


class _Joiner(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, arrays: list[np.ndarray]):
        super().__init__(file)
        self.arrays = arrays

    def persistent_load(self, pid: Any) -> np.ndarray:
        return self.arrays[pid]


def split(model: Any) -> Parts:
    """Pickle ``model`` with its arrays set aside, in the order the pickler meets them."""
    buf = io.BytesIO()
    splitter = _Splitter(buf)
    splitter.dump(model)
    return Parts(buf.getvalue(), splitter.arrays)


def join(parts: Parts) -> Any:
    """The model :func:`split` took apart."""
    return _Joiner(io.BytesIO(parts.skeleton), parts.arrays).load()


def _order(a: np.ndarray) -> str:
    return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"


def _raw(a: np.ndarray) -> np.ndarray:
    """The array's bytes in its own memory order, as a flat uint8 array, padding zeroed."""
    return np.frombuffer(_without_padding(a).tobytes(order=_order(a)), dtype=np.uint8)


def _without_padding(a: np.ndarray) -> np.ndarray:
    """A record array with the padding between its fields zeroed. Padding is uninitialised
    memory (two loads of one scikit-learn tree disagree on it), not data; left as is, it
    would make unchanged arrays differ from version to version."""
    names = a.dtype.names
    if not names or sum(a.dtype.fields[n][0].itemsize for n in names) == a.dtype.itemsize:
        return a
    clean = np.zeros(a.shape, a.dtype, order=_order(a))  # type: ignore[call-overload]
    for n in names:
        clean[n] = a[n]
    return clean


def _shuffle(raw: np.ndarray, itemsize: int) -> bytes:
    return raw.reshape(-1, itemsize).T.tobytes()


def _unshuffle(data: bytes, itemsize: int) -> np.ndarray:
    """A fresh, writeable flat uint8 array: the arrays a model gets are built on it."""
    return np.frombuffer(data, dtype=np.uint8).reshape(itemsize, -1).T.copy().reshape(-1)


def _estimate(data: bytes) -> int:
    """Roughly how small ``data`` compresses (fast zlib), to pick a transform."""
    return len(zlib.compress(data, 1))


def encode(parts: Parts, base: list[np.ndarray] | None) -> tuple[bytes, int]:
    """The payload of ``parts`` as a delta against ``base`` arrays (``None``: whole).

    Each array is stored in whichever form compresses smallest: raw or XOR against the
    base array at its position (where shape, dtype and order match), byte-shuffled or not.
    Returns the payload and how many arrays were stored as XOR deltas.
    """
    records, n_delta = [], 0
    for i, a in enumerate(parts.arrays):
        raw, itemsize = _raw(a), a.dtype.itemsize
        forms = [(None, raw)]
        b = base[i] if base is not None and i < len(base) else None
        if b is not None and b.shape == a.shape and b.dtype == a.dtype and _order(b) == _order(a):
            forms.append((i, np.bitwise_xor(raw, _raw(b))))
        candidates = [(ref, shuffled, _shuffle(data, itemsize) if shuffled else data.tobytes())
                      for ref, data in forms for shuffled in ((False, True) if itemsize > 1 else (False,))]
        ref, shuffled, data = min(candidates, key=lambda c: _estimate(c[2]))
        n_delta += ref is not None
        records.append((a.shape, a.dtype, _order(a), ref, shuffled, data))
    payload = pickle.dumps({"format": FORMAT, "skeleton": parts.skeleton, "arrays": records}, protocol=PROTOCOL)
    return payload, n_delta


def decode(payload: bytes, base: list[np.ndarray] | None) -> Parts:
    """The parts :func:`encode` stored, given the same ``base`` arrays."""
    stored = pickle.loads(payload)
    if stored["format"] != FORMAT:
        raise StoreError(f"a model version was stored in format {stored['format']}; this cairn reads format {FORMAT}")
    arrays = []
    for shape, dtype, order, ref, shuffled, data in stored["arrays"]:
        raw = _unshuffle(data, dtype.itemsize) if shuffled else np.frombuffer(data, dtype=np.uint8).copy()
        if ref is not None:
            np.bitwise_xor(raw, _raw(base[ref]), out=raw)  # type: ignore[index]
        # A view, not a copy: copying a record array would not keep its padding bytes.
        arrays.append(raw.view(dtype).reshape(shape, order=order))
    return Parts(stored["skeleton"], arrays)
