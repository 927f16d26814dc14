"""Elastic distortion checked against Simard et al.'s definition, computed independently
with scipy: a uniform field, a Gaussian filter of std sigma, a scale of alpha, a bilinear
resampling."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter, map_coordinates

from cairn.augment import Elastic
from cairn.errors import UserError

IMAGES = np.random.default_rng(1).random((3, 12, 10))


def test_elastic_with_alpha_zero_is_identity():
    np.testing.assert_array_equal(Elastic(alpha=0, sigma=2)(IMAGES, seed=0), IMAGES)
    uint8 = (IMAGES * 255).astype(np.uint8)
    np.testing.assert_array_equal(Elastic(alpha=0, sigma=2)(uint8, seed=0), uint8)


def test_elastic_displaces_by_the_smoothed_scaled_field_it_recorded():
    alpha, sigma = 6.0, 1.5
    out, record = Elastic(alpha, sigma).run(IMAGES, seed=4)
    field = record.params["field"]
    assert field.shape == (3, 2, 12, 10) and -1 <= field.min() and field.max() < 1
    rows, cols = np.meshgrid(np.arange(12), np.arange(10), indexing="ij")
    for image, (dy, dx), got in zip(IMAGES, field, out, strict=True):
        dy, dx = (alpha * gaussian_filter(f, sigma, mode="reflect") for f in (dy, dx))
        expected = map_coordinates(image, [rows + dy, cols + dx], order=1, mode="grid-constant", cval=0.0)
        np.testing.assert_allclose(got, expected, atol=1e-10)
    assert np.abs(out - IMAGES).max() > 0.1


def test_elastic_refuses_a_non_positive_sigma():
    with pytest.raises(UserError, match="sigma must be a positive number"):
        Elastic(alpha=3, sigma=0)
    with pytest.raises(UserError, match="alpha must be a non-negative number"):
        Elastic(alpha=-1, sigma=1)
