"""Composition, seeding, recording and replay, and the checks on what users pass in."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cairn.augment.base as base
from cairn.augment import (
    Brightness,
    Compose,
    Cutout,
    Elastic,
    Flip,
    Identity,
    Invert,
    OneOf,
    RandAugment,
    RandomApply,
    Rotate,
)
from cairn.errors import UserError

IMAGES = np.random.default_rng(3).integers(0, 256, (64, 12, 12, 3), dtype=np.uint8)


def pipeline():
    return Compose([RandomApply(Flip(), 0.5), OneOf([Rotate(20), Elastic(4, 2), Brightness(0.3)], [2, 1, 1]),
                    RandomApply(Cutout(0.3), p=0.7), RandAugment(2, 9)])


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes():
    first = pipeline()(IMAGES, seed=11)
    np.testing.assert_array_equal(first, pipeline()(IMAGES, seed=11))
    assert not np.array_equal(first, pipeline()(IMAGES, seed=12))
    np.testing.assert_array_equal(IMAGES, np.random.default_rng(3).integers(0, 256, (64, 12, 12, 3), dtype=np.uint8))


def test_the_same_seed_gives_the_same_bytes_in_another_process():
    script = (f"import hashlib, numpy as np, sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
              "from test_augment_compose import IMAGES, pipeline;"
              "print(hashlib.sha256(pipeline()(IMAGES, seed=11).tobytes()).hexdigest())")
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == hashlib.sha256(pipeline()(IMAGES, seed=11).tobytes()).hexdigest()


def test_a_record_replays_to_the_same_images_without_a_seed():
    op = pipeline()
    out, record = op.run(IMAGES, seed=5)
    np.testing.assert_array_equal(op.replay(IMAGES, record), out)
    flip = record.children[0]
    assert flip.op == "RandomApply" and flip.params["choice"].shape == (64,)
    assert 10 < (flip.params["choice"] == 0).sum() < 54  # about half the images were flipped
    with pytest.raises(UserError, match="drawn for 64 images, not 32"):
        op.replay(IMAGES[:32], record)


def test_random_apply_at_zero_and_one_and_one_of_by_weights():
    np.testing.assert_array_equal(RandomApply(Invert(), 0)(IMAGES, seed=0), IMAGES)
    np.testing.assert_array_equal(RandomApply(Invert(), 1)(IMAGES, seed=0), 255 - IMAGES)
    many = np.repeat(IMAGES[:1], 2000, axis=0)
    out, record = OneOf([Invert(), Identity()], weights=[3, 1]).run(many, seed=0)
    inverted = (record.params["choice"] == 0)
    assert 0.7 < inverted.mean() < 0.8
    np.testing.assert_array_equal(out[inverted], 255 - many[inverted])
    np.testing.assert_array_equal(out[~inverted], many[~inverted])


def test_chunking_does_not_change_the_result(monkeypatch):
    whole = pipeline()(IMAGES, seed=3)
    monkeypatch.setattr(base, "CHUNK", 200)  # a chunk of one image
    np.testing.assert_array_equal(pipeline()(IMAGES, seed=3), whole)


@pytest.mark.parametrize("images, message", [
    (np.zeros((4, 4)), "rank 3"),
    (np.zeros((2, 4, 4, 3, 1)), "rank 3"),
    (np.zeros((2, 4, 4), dtype=np.int64), "uint8, float32 or float64"),
    (np.zeros((2, 4, 4), dtype=bool), "uint8, float32 or float64"),
    ([[[1]]], "numpy array"),
    (np.zeros((0, 4, 4)), "must not be empty"),
])
def test_bad_images_are_user_errors(images, message):
    with pytest.raises(UserError, match=message):
        Flip()(images, seed=0)


@pytest.mark.parametrize("make, message", [
    (lambda: RandomApply(Flip(), p=1.5), r"p must be a probability in \[0, 1\]"),
    (lambda: RandomApply(Flip(), p=-0.1), r"p must be a probability in \[0, 1\]"),
    (lambda: OneOf([Flip()], weights=[1, 2]), "one non-negative weight per operation"),
    (lambda: OneOf([]), "at least one operation"),
    (lambda: Compose([Flip(), "rotate"]), "takes operations"),
    (lambda: Flip("diagonal"), "'horizontal' or 'vertical'"),
    (lambda: Rotate(10)(IMAGES, seed=-1), "non-negative integer"),
])
def test_bad_arguments_are_user_errors(make, message):
    with pytest.raises(UserError, match=message):
        make()


def test_an_operation_that_changes_the_shape_cannot_run_inside_one_of():
    from cairn.augment import RandomCrop

    with pytest.raises(UserError, match="changes the images' shape"):
        RandomApply(RandomCrop(4), 1.0)(IMAGES, seed=0)
