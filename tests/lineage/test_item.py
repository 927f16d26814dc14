"""Lineage items: digests independent of data size, deep equality, immutability, patches."""

from __future__ import annotations

import hashlib
import pickle
import types

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import cairn.lineage.item as item_module
from cairn.errors import UserError
from cairn.lineage import Item, Patch, canonical, dataset, expand, leaf


def fingerprint(data: np.ndarray) -> str:
    """What a loader computes once per dataset: the only way data reaches an item."""
    return hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest()


def pipeline(data: Item) -> Item:
    split = leaf("split", {"test_size": 0.25}, seed=3)
    scaled = Item("scale", (data, split), canonical({"with_mean": True}))
    return Item("fit", (scaled, split), canonical(LogisticRegression(C=0.5)), seed=3)


def chain(depth: int, fp: str = "f" * 32) -> Item:
    node = dataset(fp, "iris")
    for step in range(depth):
        node = Item("epoch", (node,), canonical(step % 7))
    return node


class CountingBlake2b:
    """Wraps the real hash, counting what the item digests are fed."""

    updates = 0
    bytes_fed = 0

    def __init__(self, **kwargs: object) -> None:
        self._hash = hashlib.blake2b(**kwargs)

    def update(self, data: bytes) -> None:
        CountingBlake2b.updates += 1
        CountingBlake2b.bytes_fed += len(data)
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


def test_hashing_work_is_the_same_for_10_rows_and_10_million_rows(monkeypatch):
    monkeypatch.setattr(item_module, "hashlib", types.SimpleNamespace(blake2b=CountingBlake2b))
    work = []
    for rows in (10, 10_000_000):
        data = np.arange(rows, dtype=np.uint8)
        fp = fingerprint(data)
        CountingBlake2b.updates = CountingBlake2b.bytes_fed = 0
        root = pipeline(dataset(fp, "table"))
        work.append((CountingBlake2b.updates, CountingBlake2b.bytes_fed))
        # One update for the node's own fields plus one per input digest, nothing else.
        assert CountingBlake2b.updates == sum(1 + len(node.inputs) for node in root.walk())
    assert work[0] == work[1]


def test_digest_depends_on_the_fingerprint_not_on_anything_else_about_the_data():
    small, large = np.zeros(10), np.zeros(10_000)
    assert dataset(fingerprint(small)).digest != dataset(fingerprint(large)).digest
    assert dataset(fingerprint(small)).digest == dataset(fingerprint(np.zeros(10))).digest
    with pytest.raises(UserError, match="fingerprint"):
        Item("data", data=small)  # type: ignore[arg-type]


def test_separately_built_equal_dags_are_equal_and_hash_alike():
    a, b = pipeline(dataset("a" * 32)), pipeline(dataset("a" * 32))
    assert a is not b
    assert a == b and hash(a) == hash(b) and a.digest == b.digest and a.id == b.id
    assert {a: 1}[b] == 1


BASE = {"op": "fit", "inputs": (leaf("x", 1), leaf("y", 2)), "literal": canonical({"C": 1}), "data": "d" * 8,
        "seed": 5, "body": None}


@pytest.mark.parametrize("change", [
    {"op": "predict"},
    {"literal": canonical({"C": 2})},
    {"data": "e" * 8},
    {"seed": 6},
    {"inputs": (leaf("y", 2), leaf("x", 1))},
    {"inputs": (leaf("x", 1),)},
    {"body": leaf("body")},
])
def test_items_differing_in_one_field_are_unequal(change):
    base, other = Item(**BASE), Item(**dict(BASE, **change))
    assert base == Item(**BASE)
    assert base != other and base.digest != other.digest


def test_a_difference_deep_in_the_inputs_makes_items_unequal():
    assert chain(1000, "a" * 32) != chain(1000, "b" * 32)
    assert Item("top", (chain(10),), data="x" * 8) != Item("top", (chain(11),), data="x" * 8)


def test_equality_walks_the_dag_when_digests_agree():
    a, b = pipeline(dataset("a" * 32)), pipeline(dataset("a" * 32))
    # Same digest but a different leaf: equality must not trust the digest alone.
    forged = Item("fit", (Item("scale", (dataset("b" * 32), leaf("split", {"test_size": 0.25}, seed=3)),
                                canonical({"with_mean": True})), leaf("split", {"test_size": 0.25}, seed=3)),
                  canonical(LogisticRegression(C=0.5)), seed=3)
    object.__setattr__(forged, "digest", a.digest)  # a hash collision, made by hand
    assert a == b
    assert a != forged


def test_100000_deep_chains_compare_hash_and_walk_without_recursion_error():
    a, b = chain(100_000), chain(100_000)
    assert a.height == 100_000
    assert a == b and hash(a) == hash(b)
    assert sum(1 for _ in a.walk()) == 100_001


def test_walk_yields_each_shared_item_once_inputs_first():
    data = dataset("a" * 32)
    left, right = Item("left", (data,)), Item("right", (data,))
    root = Item("join", (left, right, data))
    order = list(root.walk())
    assert len(order) == 4 and order[-1] is root
    assert order.index(data) < order.index(left) and order.index(data) < order.index(right)


def test_items_are_immutable():
    item = pipeline(dataset("a" * 32))
    before = item.digest
    for name in ("op", "digest", "inputs", "extra"):
        with pytest.raises(AttributeError):
            setattr(item, name, "changed")
    with pytest.raises(AttributeError):
        del item.op
    assert isinstance(item.inputs, tuple) and item.digest == before


def test_pickling_round_trips_to_an_equal_item():
    root = Item("mean", [Patch("fold", 1, lambda x: Item("fit", (x,)))(leaf("split", k, seed=1))
                         for k in range(3)])
    copy = pickle.loads(pickle.dumps(root))
    assert copy == root and copy.digest == root.digest and copy is not root
    deep = chain(20_000)  # far past the recursion limit that plain pickling would meet
    assert pickle.loads(pickle.dumps(deep)) == deep


def test_canonical_literals_ignore_types_and_key_order():
    assert canonical({"b": np.float64(0.1), "a": [np.int64(1), 2]}) == canonical({"a": (1, 2), "b": 0.1})
    assert canonical(float("nan")) == canonical(np.float32("nan").item())
    assert canonical(LogisticRegression(C=1.0)) != canonical(LogisticRegression(C=2.0))
    with pytest.raises(UserError, match="literal"):
        canonical(object())


def test_bad_fields_raise_user_errors():
    with pytest.raises(UserError, match="operation"):
        Item("")
    with pytest.raises(UserError, match="tabs"):
        Item("fit\tpredict")
    with pytest.raises(UserError, match="lineage items"):
        Item("fit", ("not an item",))  # type: ignore[arg-type]
    with pytest.raises(UserError, match="canonical"):
        Item("fit", literal={"C": 1})  # type: ignore[arg-type]


def fold(data: Item, split: Item) -> Item:
    scaled = Item("scale", (data, split), canonical({"with_mean": True}))
    model = Item("fit", (scaled, split), canonical({"C": 1.0}), seed=11)
    return Item("score", (model, scaled, split), canonical("accuracy"))


def test_expanding_patch_instances_gives_the_dag_built_directly():
    data = dataset("a" * 32)
    splits = [leaf("split", {"fold": k}, seed=7) for k in range(5)]
    patch = Patch("fold", 2, fold)
    compact = Item("mean", [patch(data, s) for s in splits])
    direct = Item("mean", [fold(data, s) for s in splits])
    assert compact != direct
    assert expand(compact) == direct and expand(compact).digest == direct.digest


def test_nested_patches_expand_too():
    inner = Patch("step", 1, lambda x: Item("epoch", (x,), canonical(1)))
    outer = Patch("two_steps", 1, lambda x: inner(inner(x)))
    data = dataset("a" * 32)
    direct = Item("epoch", (Item("epoch", (data,), canonical(1)),), canonical(1))
    assert expand(outer(data)) == direct


def test_a_patch_checks_its_argument_count():
    patch = Patch("fold", 2, fold)
    with pytest.raises(UserError, match="takes 2 inputs"):
        patch(dataset("a" * 32))
