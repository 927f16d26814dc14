"""AutoAugment's policy form, RandAugment and TrivialAugment over the named operations."""

import numpy as np
import pytest

from cairn.augment import (
    OPS,
    RANDAUGMENT_OPS,
    AutoAugment,
    Elastic,
    RandAugment,
    Record,
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


def moved(side: int, magnitude: float) -> float:
    """The median distance pixels move along the columns, as a fraction of the side: on a
    ramp image (each pixel's value is its column), bilinear resampling reads the column
    each pixel came from."""
    ramp = np.tile(np.arange(side, dtype=np.float64), (200, side, 1))
    return float(np.median(np.abs(policy_op("elastic", magnitude)(ramp, seed=3) - ramp))) / side


def test_elastic_at_magnitude_zero_is_identity():
    np.testing.assert_array_equal(policy_op("elastic", 0)(IMAGES, seed=0), IMAGES)


def test_elastic_moves_pixels_further_as_the_magnitude_grows():
    distances = [moved(8, m) for m in (1, 3, 5, 10)]
    assert distances == sorted(distances) and distances[0] > 0
    assert distances[3] / distances[2] == pytest.approx(2, rel=0.05)  # alpha is linear in the magnitude


def test_elastic_moves_pixels_the_same_fraction_of_the_side_at_any_size():
    for magnitude in (3, 10):
        assert moved(8, magnitude) == pytest.approx(moved(32, magnitude), rel=0.1)  # side-scaled alpha: 4x apart


def test_elastic_at_magnitude_five_is_simards_setting_on_28x28():
    images = np.random.default_rng(6).random((4, 28, 28))
    out, record = policy_op("elastic", 5).run(images, seed=0)
    np.testing.assert_allclose(record.params["alpha"] * 28**2, 34.0)
    simard = Elastic(alpha=34, sigma=4).replay(images, Record("Elastic", {"field": record.params["field"]}))
    np.testing.assert_allclose(out, simard, atol=1e-12)


def test_elastic_over_a_range_of_magnitudes_draws_a_strength_per_image():
    op = policy_op("elastic", (2, 8))
    out, record = op.run(IMAGES, seed=4)
    alphas = record.params["alpha"] / op.alpha[1] * 8  # back to magnitudes
    assert alphas.shape == (300,) and 2 <= alphas.min() < 3 and 7 < alphas.max() <= 8
    np.testing.assert_array_equal(op.replay(IMAGES, record), out)


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
