"""Movement and selection checked against their definitions: flips, affine moves, crops
and AlexNet's patches."""

import numpy as np
import pytest

from cairn.augment import (
    Affine,
    Flip,
    RandomCrop,
    Record,
    Rotate,
    Scale,
    Shear,
    Translate,
    alexnet_patches,
    predict_patches,
    ten_patches,
)

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (6, 9, 9), dtype=np.uint8)
RGB = RNG.random((5, 8, 8, 3)).astype(np.float32)


@pytest.mark.parametrize("axis", ["horizontal", "vertical"])
@pytest.mark.parametrize("images", [GREY, RGB])
def test_a_flip_twice_is_identity_and_once_mirrors(axis, images):
    flip = Flip(axis)
    once = flip(images, seed=0)
    np.testing.assert_array_equal(once, np.flip(images, axis=2 if axis == "horizontal" else 1))
    np.testing.assert_array_equal(flip(once, seed=1), images)


def test_a_translation_moves_a_known_pixel_by_the_recorded_shift():
    images = np.zeros((4, 8, 8), dtype=np.uint8)
    images[:, 3, 4] = 200
    out, record = Translate(x=(0.25, 0.25), y=(0.125, 0.125)).run(images, seed=3)
    dx, dy = record.params["translate_x"] * 8, record.params["translate_y"] * 8
    assert set(np.abs(dx)) == {2.0} and set(np.abs(dy)) == {1.0}
    for image, shift_x, shift_y in zip(out, dx, dy, strict=True):
        expected = np.zeros((8, 8), dtype=np.uint8)
        expected[3 + int(shift_y), 4 + int(shift_x)] = 200
        np.testing.assert_array_equal(image, expected)


def test_rotating_by_90_degrees_is_rot90_in_the_drawn_direction():
    images = np.concatenate([GREY] * 4)
    out, record = Rotate((90, 90)).run(images, seed=0)
    for image, source, angle in zip(out, images, record.params["rotate"], strict=True):
        np.testing.assert_array_equal(image, np.rot90(source, 1 if angle > 0 else -1))  # counter-clockwise when positive
    assert {1.0, -1.0} == set(np.sign(record.params["rotate"]))


def test_a_move_of_zero_is_identity_and_pixels_from_outside_take_the_fill():
    identity = Affine(rotate=(0, 0), scale=1.0, shear_x=(0, 0), translate_x=(0, 0))
    np.testing.assert_array_equal(identity(RGB, seed=0), RGB)
    shifted = Translate(x=(0.5, 0.5), y=(0, 0), fill=7)(np.full((3, 4, 4), 100, np.uint8), seed=0)
    assert {7, 100} == set(np.unique(shifted))
    assert (shifted == 7).sum(axis=(1, 2)).tolist() == [8, 8, 8]  # two columns of four come from outside


def test_scaling_and_shearing_keep_the_centre_and_move_the_rest():
    images = np.zeros((2, 9, 9), dtype=np.float64)
    images[:, 4, 4] = 1.0  # the centre
    images[:, 4, 6] = 1.0  # two to its right
    zoomed = Scale((2.0, 2.0))(images, seed=0)
    assert zoomed[0, 4, 4] == 1.0 and zoomed[0, 4, 8] == 1.0  # the right-hand point is now four away
    sheared = Shear(x=(45, 45))(np.eye(9)[None].repeat(2, 0), seed=0)
    assert np.allclose(sheared[:, 4, 4], 1.0)  # the centre stays where it is
    assert not np.allclose(sheared, np.eye(9))


def test_a_random_crop_is_the_window_at_the_recorded_corner():
    out, record = RandomCrop(5, 4).run(RGB, seed=2)
    assert out.shape == (5, 5, 4, 3)
    for image, source, top, left in zip(out, RGB, record.params["top"], record.params["left"], strict=True):
        np.testing.assert_array_equal(image, source[top:top + 5, left:left + 4])


def test_alexnet_patches_are_windows_or_their_reflections():
    out, record = alexnet_patches(6).run(GREY, seed=1)
    crop, reflect = record.children
    reflected = reflect.params["choice"] == 0
    assert out.shape == (6, 6, 6) and 0 < reflected.sum() < 6
    for k, image in enumerate(out):
        window = GREY[k, crop.params["top"][k]:crop.params["top"][k] + 6, crop.params["left"][k]:crop.params["left"][k] + 6]
        np.testing.assert_array_equal(image, window[:, ::-1] if reflected[k] else window)


def test_ten_patches_are_the_corners_the_centre_and_their_reflections():
    patches = ten_patches(GREY, 5)
    assert patches.shape == (10, 6, 5, 5)
    np.testing.assert_array_equal(patches[0], GREY[:, :5, :5])
    np.testing.assert_array_equal(patches[3], GREY[:, 4:, 4:])
    np.testing.assert_array_equal(patches[4], GREY[:, 2:7, 2:7])
    np.testing.assert_array_equal(patches[5:], patches[:5, :, :, ::-1])
    scores = predict_patches(lambda batch: batch.reshape(len(batch), -1).mean(axis=1, keepdims=True), GREY, 5)
    np.testing.assert_allclose(scores[:, 0], patches.reshape(10, 6, -1).mean(axis=(0, 2)))


def test_a_record_of_another_operation_is_refused():
    from cairn.errors import UserError

    with pytest.raises(UserError, match="made by Flip"):
        Rotate(10).replay(GREY, Record("Flip", {}))
    with pytest.raises(UserError, match="does not fit"):
        RandomCrop(10)(GREY, seed=0)


def test_a_flip_with_probability_reflects_the_recorded_images_only():
    out, record = Flip(p=0.5).run(np.concatenate([GREY] * 4), seed=0)
    flipped = record.params["flipped"]
    assert 0 < flipped.sum() < 24
    np.testing.assert_array_equal(out[flipped], np.concatenate([GREY] * 4)[flipped][:, :, ::-1])
    np.testing.assert_array_equal(out[~flipped], np.concatenate([GREY] * 4)[~flipped])
