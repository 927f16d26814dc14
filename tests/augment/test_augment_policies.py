"""AutoAugment's policy form, RandAugment and TrivialAugment over the named operations."""

import numpy as np
import pytest

from cairn.augment import (
    OPS,
    RANDAUGMENT_OPS,
    AutoAugment,
    RandAugment,
    TrivialAugment,
    policy_from_config,
    policy_op,
    policy_space,
)
from cairn.errors import UserError

IMAGES = np.random.default_rng(5).integers(0, 256, (300, 8, 8), dtype=np.uint8)


def test_a_magnitude_sets_a_fraction_of_the_strongest_setting():
    assert policy_op("rotate", 5).rotate == (15.0, 15.0)
    assert policy_op("translate_x", (0, 10)).translate_x == (0.0, 0.45)
    assert policy_op("posterize", 10).bits == (4, 4)
    assert policy_op("solarize", 0).threshold == (256.0, 256.0)
    np.testing.assert_array_equal(policy_op("solarize", 0)(IMAGES, seed=0), IMAGES)
    assert all(policy_op(name, 0) is not None for name in OPS)


def test_rand_augment_applies_n_operations_at_one_magnitude_to_every_image():
    op = RandAugment(2, 9)
    _, record = op.run(IMAGES, seed=0)
    assert record.op == "RandAugment" and len(record.children) == 2
    for layer in record.children:
        choice = layer.params["choice"]
        assert choice.shape == (300,) and set(choice) == set(range(len(RANDAUGMENT_OPS)))
        rotated = layer.children[RANDAUGMENT_OPS.index("rotate")]
        np.testing.assert_allclose(np.abs(rotated.params["rotate"]), 27.0)
        assert len(rotated.params["rotate"]) == (choice == RANDAUGMENT_OPS.index("rotate")).sum()


def test_trivial_augment_draws_one_operation_and_a_magnitude_per_image():
    _, record = TrivialAugment().run(IMAGES, seed=1)
    assert record.params["choice"].shape == (300,)
    angles = np.abs(record.children[RANDAUGMENT_OPS.index("rotate")].params["rotate"])
    assert angles.min() < 10 and angles.max() > 20 and angles.max() <= 30


def test_auto_augment_gives_each_image_one_sub_policy_whose_steps_apply_with_their_probability():
    policy = AutoAugment([[("invert", 1.0, 0), ("rotate", 0.0, 9)], [("posterize", 0.5, 10), ("solarize", 1.0, 10)]])
    out, record = policy.run(IMAGES, seed=2)
    first = record.params["choice"] == 0
    assert 100 < first.sum() < 200
    np.testing.assert_array_equal(out[first], 255 - IMAGES[first])  # invert always, rotate never
    posterized = record.children[1].children[0].params["choice"] == 0  # within the second sub-policy's images
    assert 0.35 < posterized.mean() < 0.65
    second = IMAGES[~first]
    np.testing.assert_array_equal(out[~first][~posterized], 255 - second[~posterized])  # solarize at 10 inverts all
    assert not np.array_equal(out[~first][posterized], 255 - second[posterized])


def test_a_policy_space_config_becomes_the_policy_it_describes():
    space = policy_space(n_subpolicies=2, ops=["rotate", "invert", "cutout"])
    config = space.sample(np.random.default_rng(0))
    policy = policy_from_config(config)
    assert isinstance(policy, AutoAugment) and len(policy.subpolicies) == 2
    for i, sub in enumerate(policy.subpolicies):
        for j, (name, p, m) in enumerate(sub):
            assert name == config[f"augment.s{i}.op{j}"] and p == config[f"augment.s{i}.p{j}"]
            assert m == config.get(f"augment.s{i}.m{j}", 0)
            assert (f"augment.s{i}.m{j}" in config) == (name != "invert")  # magnitudes only where they matter
    assert policy_from_config({"learner": "knn"}) is None


@pytest.mark.parametrize("make, message", [
    (lambda: policy_op("blur", 3), "unknown augmentation 'blur'"),
    (lambda: policy_op("rotate", 11), r"magnitude must lie within \[0"),
    (lambda: AutoAugment([[("rotate", 1.2, 3)]]), r"probability in \[0, 1\]"),
    (lambda: AutoAugment([]), "at least one sub-policy"),
    (lambda: RandAugment(0, 9), "positive integer"),
    (lambda: policy_space(ops=["warp"]), "unknown augmentation 'warp'"),
])
def test_bad_policies_are_user_errors(make, message):
    with pytest.raises(UserError, match=message):
        make()
