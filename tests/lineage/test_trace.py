"""Text traces (each item once, patch bodies once) and recomputing values from them."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import UserError
from cairn.lineage import (
    Item,
    Patch,
    canonical,
    data_resolver,
    dataset,
    expand,
    leaf,
    operation,
    parse,
    recompute,
    serialize,
)
from cairn.lineage.recompute import OPERATIONS, RESOLVERS
from cairn.lineage.trace import HEADER


def fold(data: Item, split: Item) -> Item:
    scaled = Item("scale", (data, split), canonical({"with_mean": True}))
    return Item("fit", (scaled, split), canonical({"C": 1.0}), seed=11)


def cross_validation(folds: int = 5) -> tuple[Item, Patch]:
    patch = Patch("fold", 2, fold)
    data = dataset("a" * 32, "iris")
    return Item("mean", [patch(data, leaf("split", {"fold": k}, seed=7)) for k in range(folds)]), patch


def item_lines(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()[1:]]


def test_round_trip_gives_an_equal_item_with_an_equal_digest():
    data = dataset("a" * 32, "iris")
    shared = Item("scale", (data,), canonical({"with_mean": True}))
    root = Item("stack", (Item("fit", (shared,), canonical({"C": 1}), seed=3), shared, data), canonical("mean"))
    copy = parse(serialize(root))
    assert copy == root and copy.digest == root.digest and copy is not root
    assert serialize(copy) == serialize(root)


def test_each_distinct_item_appears_once():
    data = dataset("a" * 32)
    shared = Item("scale", (data,))
    root = Item("join", (Item("left", (shared,)), Item("right", (shared, data)), shared))
    lines = item_lines(serialize(root))
    assert len(lines) == 5
    assert sorted(int(fields[0]) for fields in lines) == list(range(5))
    assert lines[-1][1] == "join"


def test_a_patch_used_for_five_folds_writes_its_body_once():
    root, patch = cross_validation(folds=5)
    lines = item_lines(serialize(root))
    body_lines = sum(1 for _ in patch.body.walk())
    assert sum(fields[1] == "patch" for fields in lines) == 5
    assert sum(fields[1] == "fit" for fields in lines) == 1
    # body + data + 5 splits + 5 instances + the mean
    assert len(lines) == body_lines + 1 + 5 + 5 + 1
    assert {fields[6] for fields in lines if fields[1] == "patch"} == {lines[body_lines - 1][0]}
    parsed = parse(serialize(root))
    assert parsed == root and expand(parsed) == expand(root)


def test_items_inside_patch_bodies_round_trip_on_their_own_and_as_patch_inputs():
    _, patch = cross_validation()
    inner = patch.body.inputs[0]  # the body's scale step, on placeholders
    root = Item("pair", (patch(inner, leaf("split", 0)), inner))
    assert parse(serialize(inner)) == inner
    assert parse(serialize(root)) == root


def test_deep_chains_round_trip():
    node = dataset("a" * 32)
    for epoch in range(20_000):
        node = Item("epoch", (node,), canonical(epoch))
    assert parse(serialize(node)) == node


GOOD = serialize(Item("fit", (dataset("a" * 32),), canonical({"C": 1})))


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace(HEADER, "cairn-lineage 2"), "first line must be"),
    ("", "first line must be"),
    (HEADER + "\n", "holds no items"),
    (GOOD.replace('\t"{\\"C\\":1}"\t', "\t"), "line 3 .* 6 tab-separated fields"),
    (GOOD.replace("1\tfit\t0", "1\tfit\t5"), "line 3 .*item 5 is used before it is defined"),
    (GOOD.replace("1\tfit\t0", "1\tfit\t-1"), "line 3 .*item -1 is used before it is defined"),
    (GOOD.replace("1\tfit\t0", "7\tfit\t0"), "line 3 .*out of order"),
    (GOOD.replace('"{\\"C\\":1}"', '"{\\"C\\":1'), "line 3 .*malformed"),
    (GOOD.replace("1\tfit\t0\t", "1\tfit\t0\tnot-a-seed"), "line 3 .*malformed"),
    (GOOD + GOOD.splitlines()[1].replace("a" * 32, "b" * 32) + "\n", "line 4 .*item 0 comes out of order"),
])
def test_malformed_traces_raise_user_errors_naming_the_line(text, message):
    with pytest.raises(UserError, match=message):
        parse(text)


@pytest.fixture
def arithmetic():
    """Registers three operations for the test and removes them afterwards."""
    @operation("test.add")
    def add(item, inputs):
        return inputs[0] + inputs[1]

    @operation("test.multiply")
    def multiply(item, inputs):
        return inputs[0] * float(item.literal)

    @operation("test.noise")
    def noise(item, inputs):
        return inputs[0] + np.random.default_rng(item.seed).normal(size=inputs[0].shape)

    yield
    for name in ("test.add", "test.multiply", "test.noise"):
        del OPERATIONS[name]


def test_recompute_reproduces_values_bit_for_bit(arithmetic):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    fp = "c" * 32
    data = dataset(fp, "x")
    noisy = Item("test.noise", (data,), seed=123)
    scaled = Item("test.multiply", (noisy,), canonical(0.1))
    root = Item("test.add", (scaled, noisy))
    direct_noisy = x + np.random.default_rng(123).normal(size=x.shape)
    direct = direct_noisy * 0.1 + direct_noisy
    replayed = recompute(serialize(root), data={fp: x})
    assert replayed.tobytes() == direct.tobytes()
    assert recompute(root, data={fp: x}).tobytes() == direct.tobytes()
    changed_seed = Item("test.add", (scaled, Item("test.noise", (data,), seed=124)))
    assert recompute(changed_seed, data={fp: x}).tobytes() != direct.tobytes()


def test_recompute_expands_patches(arithmetic):
    step = Patch("step", 1, lambda v: Item("test.add", (v, Item("test.noise", (v,), seed=1))))
    x = np.ones(4)
    root = step(step(dataset("c" * 32)))
    first = x + (x + np.random.default_rng(1).normal(size=4))
    expected = first + (first + np.random.default_rng(1).normal(size=4))
    assert recompute(serialize(root), data={"c" * 32: x}).tobytes() == expected.tobytes()


def test_recompute_finds_data_through_registered_resolvers(arithmetic):
    @data_resolver
    def known(item):
        return np.arange(3.0) if item.data == "d" * 32 else None

    try:
        root = Item("test.multiply", (dataset("d" * 32),), canonical(2.0))
        assert recompute(root).tolist() == [0.0, 2.0, 4.0]
    finally:
        RESOLVERS.remove(known)


def test_recompute_names_what_it_cannot_compute(arithmetic):
    with pytest.raises(UserError, match="'test.unknown'"):
        recompute(Item("test.unknown", (dataset("c" * 32),)), data={"c" * 32: np.ones(2)})
    with pytest.raises(UserError, match="e{32}"):
        recompute(Item("test.add", (dataset("e" * 32), dataset("c" * 32))), data={"c" * 32: np.ones(2)})
    with pytest.raises(UserError, match="placeholder"):
        recompute(Item("test.add", (Item("arg", (), "0"), dataset("c" * 32))), data={"c" * 32: np.ones(2)})
