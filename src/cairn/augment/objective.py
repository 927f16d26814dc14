"""The augmenting objective: ``(config, budget) -> Result`` for a cairn Study.

For each resampling split it augments the training images with the config's policy
(``copies`` augmented copies beside the originals, so every config trains on the same
number of rows and a budget means the same work), trains a model on the flattened
pixels and scores it on the untouched validation images. The model is the config's CASH
pipeline when the config names a ``learner`` (so augmentation choices join a CASH
search), else the given estimator, by default a small MLP.

``budget`` is a fidelity, as for :class:`cairn.evaluate.CashObjective`: above 1 it is
the model's iteration count (``fidelity``, epochs for an MLP), in (0, 1] a fraction of
the training images.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.neural_network import MLPClassifier

from cairn.augment.base import Operation
from cairn.augment.checks import Seed, as_batch
from cairn.augment.spaces import PREFIX, policy_from_config
from cairn.errors import UserError
from cairn.evaluate.metrics import get_metric
from cairn.evaluate.objective import quiet
from cairn.evaluate.resampling import Holdout, KFold, subsample
from cairn.learners import build_pipeline
from cairn.trial import Result


def default_model(seed: int = 0) -> MLPClassifier:
    """A small MLP: one hidden layer of 64 units, trained for 50 epochs."""
    return MLPClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=seed)


def augment_copies(images: np.ndarray, y: Any, op: Operation | None, copies: int,
                   seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """The images followed by ``copies`` augmented copies of them (plain copies when ``op``
    is ``None``), in one batched call, and the labels to match."""
    tiled = np.concatenate([images] * copies)
    extra = tiled if op is None else op(tiled, seed)
    return np.concatenate([images, extra]), np.tile(np.asarray(y), copies + 1)


def features(images: np.ndarray) -> np.ndarray:
    """Images as rows of pixels for a scikit-learn model: uint8 scaled to [0, 1]."""
    flat = images.reshape(len(images), -1)
    return flat / np.float32(255) if images.dtype == np.uint8 else flat


class AugmentObjective:
    """Score configs of an augmentation policy (and optionally a CASH learner) on images.

    ``resampling`` (default: 3-fold cross-validation) splits ``images``, ``y``;
    :class:`~cairn.evaluate.resampling.TrainOnOneFold` trains on one fold and scores on the
    rest, to learn what helps when labels are scarce. ``metric`` is a classification metric
    name (default accuracy). Every random choice (the splits, the augmentations, the
    model) follows ``seed``. Import-safe for worker processes.
    """

    def __init__(self, images: np.ndarray, y: Any, *, model: BaseEstimator | None = None,
                 fidelity: str = "max_iter", resampling: Holdout | KFold | None = None,
                 metric: str = "accuracy", copies: int = 4, seed: int = 0, threads: int | None = 1,
                 prefix: str = PREFIX):
        as_batch(images)
        self.images = images
        self.y = np.asarray(y)
        if self.y.shape != (len(self.images),):
            raise UserError(f"labels must be one per image: {len(self.images)} images, labels of shape {self.y.shape}")
        if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
            raise UserError(f"copies must be a positive integer, got {copies!r}")
        self.model = model if model is not None else default_model(seed)
        self.fidelity, self.copies, self.seed, self.threads, self.prefix = fidelity, copies, seed, threads, prefix
        self.metric = get_metric(metric, "classification")
        self.resampling = resampling if resampling is not None else KFold(3, seed=seed)
        self._splits = list(self.resampling.split(self.y, True))

    def __call__(self, config: Mapping[str, Any], budget: float | None = None) -> Result:
        start = time.perf_counter()
        policy = policy_from_config(config, self.prefix)
        learner = {k: v for k, v in config.items() if not k.startswith(f"{self.prefix}.")}
        scores = []
        for fold, (train, valid) in enumerate(self._splits):
            if budget is not None and 0 < budget < 1:
                train = subsample(train, self.y, float(budget), [self.seed, fold], stratify=True)
            images, labels = augment_copies(self.images[train], self.y[train], policy, self.copies,
                                            np.random.default_rng([self.seed, fold]))
            model = self._model(learner, budget)
            with quiet(self.threads):
                model.fit(features(images), labels)
                scores.append(self.metric.score(model, features(self.images[valid]), self.y[valid]))
        name = self.metric.name
        return Result(loss=float(np.mean([self.metric.loss(s) for s in scores])),
                      metrics={name: float(np.mean(scores)), f"{name}_std": float(np.std(scores)),
                               "train_rows": float(len(images))},
                      cost=time.perf_counter() - start)

    def _model(self, learner: Mapping[str, Any], budget: float | None) -> Any:
        iterations = int(round(budget)) if budget is not None and budget > 1 else None
        if "learner" in learner:
            return build_pipeline(learner, "classification", self.seed, iterations=iterations)
        if learner:
            raise UserError(f"config keys {sorted(learner)} are neither '{self.prefix}.*' policy keys nor a CASH config")
        model = clone(self.model)
        if iterations is not None:
            model.set_params(**{self.fidelity: iterations})
        return model
