"""Colour and intensity operations, Cutout, PCA lighting and normalisation, each checked
against its definition (PIL's, for the enhancements and ImageOps) on fixed parameters
given through a Record."""

import numpy as np
import pytest

from cairn.augment import (
    AutoContrast,
    Brightness,
    Color,
    Contrast,
    Cutout,
    Equalize,
    Invert,
    MinMaxNormalize,
    PCALighting,
    Posterize,
    Sharpness,
    Solarize,
    Standardize,
)
from cairn.augment.base import Record

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, (4, 10, 10, 3), dtype=np.uint8)
GREY = RNG.integers(30, 200, (4, 10, 10), dtype=np.uint8)


def fixed(op, images, **params):
    """``op`` applied with the same parameter value on every image."""
    return op.replay(images, Record(op.name, {k: np.full(len(images), v) for k, v in params.items()}))


def test_invert_twice_is_identity():
    once = Invert()(RGB, seed=0)
    np.testing.assert_array_equal(once, 255 - RGB)
    np.testing.assert_array_equal(Invert()(once, seed=0), RGB)


def test_posterize_keeps_the_top_bits_and_solarize_inverts_above_the_threshold():
    np.testing.assert_array_equal(fixed(Posterize((1, 8)), RGB, bits=3), RGB & 0b11100000)
    np.testing.assert_array_equal(fixed(Solarize((0, 256)), RGB, threshold=100.0), np.where(RGB >= 100, 255 - RGB, RGB))
    np.testing.assert_array_equal(fixed(Solarize((0, 256)), RGB, threshold=256.0), RGB)


def test_brightness_scales_and_contrast_blends_with_the_grey_mean():
    expected = np.clip(np.floor(RGB * 1.3 + 0.5), 0, 255)
    np.testing.assert_allclose(fixed(Brightness(0.5), RGB, brightness=1.3), expected, atol=1)
    flat = fixed(Contrast(1), GREY, contrast=0.0)
    np.testing.assert_array_equal(flat, np.floor(GREY.mean(axis=(1, 2), keepdims=True) + 0.5) + 0 * GREY)
    np.testing.assert_array_equal(fixed(Contrast(0.5), GREY, contrast=1.0), GREY)


def test_color_zero_is_the_luma_image_and_leaves_grey_images_alone():
    luma = RGB @ np.array([0.299, 0.587, 0.114])
    out = fixed(Color(1), RGB, factor=0.0)
    np.testing.assert_allclose(out, np.repeat(luma[..., None], 3, axis=-1), atol=0.5 + 1e-4)
    np.testing.assert_array_equal(fixed(Color(1), GREY, factor=0.0), GREY)


def test_sharpness_blends_with_the_smooth_kernel_and_keeps_borders():
    images = GREY.astype(np.float64) / 255
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13
    smooth = images.copy()
    for i in range(1, 9):
        for j in range(1, 9):
            smooth[:, i, j] = (images[:, i - 1:i + 2, j - 1:j + 2] * kernel).sum(axis=(1, 2))
    np.testing.assert_allclose(fixed(Sharpness(1), images, factor=0.0), smooth, atol=1e-12)
    sharp = fixed(Sharpness(1), images, factor=1.5)
    np.testing.assert_allclose(sharp, np.clip(smooth + 1.5 * (images - smooth), 0, 1), atol=1e-12)
    np.testing.assert_array_equal(sharp[:, 0], images[:, 0])


def test_autocontrast_stretches_each_channel_to_the_full_range():
    out = AutoContrast()(RGB // 2 + 40, seed=0)
    assert (out.min(axis=(1, 2)) == 0).all() and (out.max(axis=(1, 2)) == 255).all()
    np.testing.assert_array_equal(AutoContrast()(np.full((2, 3, 3), 9, np.uint8), seed=0), 9)


def _pil_equalize(channel):
    """PIL's ImageOps.equalize for one channel, written out as PIL does it."""
    hist = np.bincount(channel.ravel(), minlength=256)
    used = hist[hist > 0]
    step = (used.sum() - used[-1]) // 255
    if step == 0:
        return channel
    table, n = [], step // 2
    for count in hist:
        table.append(min(n // step, 255))
        n += count
    return np.array(table)[channel]


def test_equalize_is_pils_histogram_equalisation_per_channel():
    out = Equalize()(RGB // 3, seed=0)
    for image, source in zip(out, RGB // 3, strict=True):
        for c in range(3):
            np.testing.assert_array_equal(image[..., c], _pil_equalize(source[..., c]))
    floats = Equalize()((RGB // 3).astype(np.float32) / 255, seed=0)
    np.testing.assert_allclose(floats * 255, out, atol=1e-3)


def test_float_images_get_the_same_colour_operations_on_the_unit_scale():
    floats = RGB.astype(np.float64) / 255
    for op, params in [(Brightness(0.5), {"brightness": 0.8}), (Contrast(0.5), {"contrast": 1.4}),
                       (Posterize((1, 8)), {"bits": 2}), (Solarize((0, 256)), {"threshold": 128.0})]:
        np.testing.assert_allclose(fixed(op, floats, **params) * 255, fixed(op, RGB, **params), atol=0.5 + 1e-9)


def test_cutout_hides_exactly_the_recorded_square():
    images = np.full((8, 12, 12), 50, dtype=np.uint8)
    out, record = Cutout(size=(0.5, 0.5), fill=0).run(images, seed=5)
    for image, row, col in zip(out, record.params["row"][:, 0], record.params["col"][:, 0], strict=True):
        expected = images[0].copy()
        expected[max(row - 3, 0):row + 3, max(col - 3, 0):col + 3] = 0
        np.testing.assert_array_equal(image, expected)
    assert (out == 0).sum() > 0 and (record.params["side"] == 6).all()


def test_pca_lighting_keeps_the_shape_and_shifts_colour_with_the_expected_covariance():
    pixels = RNG.multivariate_normal([0.5, 0.4, 0.3], [[0.04, 0.02, 0.0], [0.02, 0.03, 0.01], [0.0, 0.01, 0.02]],
                                     size=(50, 6, 6))
    lighting = PCALighting.fit(pixels, std=0.1)
    np.testing.assert_allclose(lighting.eigenvectors @ np.diag(lighting.eigenvalues) @ lighting.eigenvectors.T,
                               np.cov(pixels.reshape(-1, 3), rowvar=False), atol=1e-12)
    constant = np.full((4000, 2, 2, 3), 0.5)
    out = lighting(constant, seed=0)
    assert out.shape == constant.shape
    shift = out - constant
    np.testing.assert_allclose(shift, np.broadcast_to(shift[:, :1, :1], shift.shape), atol=1e-12)  # the same shift for every pixel
    expected = lighting.eigenvectors @ np.diag((0.1 * lighting.eigenvalues) ** 2) @ lighting.eigenvectors.T
    np.testing.assert_allclose(np.cov(shift[:, 0, 0], rowvar=False), expected, rtol=0.1, atol=1e-7)


def test_standardize_centres_channels_and_min_max_spans_minus_one_to_one():
    standard = Standardize.fit(RGB)
    centred = standard(RGB, seed=0)
    np.testing.assert_allclose(centred.reshape(-1, 3).mean(axis=0), 0, atol=1e-3)
    assert centred.dtype == np.float32
    scaled = MinMaxNormalize()(RGB, seed=0)
    np.testing.assert_allclose(scaled.min(axis=(1, 2, 3)), -1)
    np.testing.assert_allclose(scaled.max(axis=(1, 2, 3)), 1)


def test_colour_operations_keep_shape_and_dtype():
    for op in [Brightness(0.5), Contrast(0.5), Color(0.5), Sharpness(0.5), Posterize(), Solarize(),
               Equalize(), AutoContrast(), Invert()]:
        for images in (RGB, GREY, GREY.astype(np.float32) / 255):
            out = op(images, seed=1)
            assert out.shape == images.shape and out.dtype == images.dtype, op
            if images.dtype != np.uint8:
                assert 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize("bad", [(3, 1), "x", -0.5])
def test_bad_ranges_are_user_errors(bad):
    from cairn.errors import UserError

    with pytest.raises(UserError):
        Brightness(bad)
