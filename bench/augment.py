"""Data augmentation: cairn's throughput beside albumentations and torchvision, and the
held-out accuracy a learned policy buys on scikit-learn's digits.

(a) Throughput, images per second on one thread, for batches of 256 uint8 images at
    8x8 and 28x28 (grey) and 32x32 (RGB): flip (p=0.5), rotate (up to 15 degrees,
    bilinear), elastic (Simard's alpha 34, sigma 4 at 28x28, scaled with the side),
    brightness-contrast (factors 1 +- 0.2), Cutout (a square of half the side) and
    RandAugment(2, 9). cairn transforms the whole batch per call; albumentations and
    torchvision (transforms v2, on uint8 tensors) transform one image per call, as a
    data loader calls them, so every image gets its own random parameters in all three.
    albumentations has no RandAugment: its row is ``SomeOf(n=2)`` over the same 14
    operations at magnitude 9. The median of several timed batches is quoted.
(b) Accuracy on digits (8x8, bundled with scikit-learn), in two independent
    replications (:data:`REPLICATIONS`: each its own test split, training seeds and
    search seed; the target must hold in both). Each: a fixed test set of 600 images;
    for each of 5 seeds, 150 training images drawn from the rest, 4 augmented copies
    beside them (plain copies for "none", so every condition trains on 750 rows), and a
    small CNN (``SmallCNN``, torch on CPU) trained for a fixed 20 epochs. A CNN, because
    geometric augmentation teaches invariances that a convolutional model can use and an
    MLP on flattened pixels mostly cannot; few images, because augmentation pays where
    labels are scarce. Conditions: no augmentation, elastic at policy magnitude 5
    (Simard's setting, pixels moving the same fraction of the side as on 28x28), Cutout,
    RandAugment(2, 9), a random policy (drawn with the seed from the searched space) and
    the policy cairn learned: a TPE Study over AutoAugment-form policies (2 sub-policies
    of 2 operations from the geometric ones, elastic and cutout: grey, centred digits get
    nothing from flips or colour), recorded in a throwaway store. Its first trials are
    :data:`CLASSIC_POLICIES`, the known policies at their usual settings (no augmentation,
    Simard's elastic, small rotations and shifts, Cutout), as auto-sklearn starts from a
    portfolio; TPE learns from their scores and searches on. The search scores a policy
    with :class:`~cairn.evaluate.resampling.TrainOnOneFold` on 600 other non-test images:
    4 folds of 150, each fold training (as the benchmark trains on 150) and the other 450
    validating, the whole scheme twice reshuffled, so each score averages 8 fits. Its 3
    best policies are then scored again on fresh splits (another seed, the scheme
    reshuffled 4 times: 16 fits each; :func:`cairn.augment.confirm_finalists`), and the
    learned policy is the best of them by those fresh scores; test accuracy never enters.

    Development seeds. :data:`DEV_REPLICATIONS` (``--dev``) share no seed with the
    reported replications: try a change of the search there, never on the reported
    seeds. :data:`PROVENANCE` (printed with the tables) says what was decided after
    seeing which numbers.

Single thread: threadpoolctl limits BLAS and OpenMP to one thread, and OpenCV and torch
are set to one thread.

Peers. albumentations: ``pip install 'cairn-ml[augment-bench]'``. torchvision from PyPI
does not import beside the torch 2.13.0+cpu that ``.venv`` has, so run this benchmark
from a separate environment that holds both peers:

    python3 -m venv /work/augvenv
    /work/augvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 albumentations
    /work/augvenv/bin/pip install -e .
    /work/augvenv/bin/python bench/augment.py            # writes bench/results/augment.md
    /work/augvenv/bin/python bench/augment.py --quick    # a smoke run, nothing written
    .venv/bin/python bench/augment.py --accuracy-only      # part (b) alone, nothing written
    .venv/bin/python bench/augment.py --dev                # part (b) on the development seeds

A peer that does not import is reported as absent, with the reason, and the rest runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from threadpoolctl import threadpool_limits

from _report import RESULTS, publish
from cairn.augment import (
    AugmentObjective,
    BrightnessContrast,
    Cutout,
    Elastic,
    Flip,
    RandAugment,
    Rotate,
    augment_copies,
    confirm_finalists,
    features,
    policy_config,
    policy_from_config,
    policy_op,
    policy_space,
    search_policy,
)
from cairn.evaluate.resampling import TrainOnOneFold
from tracking import timed

BATCH = 256
SIZES = {"8x8": (BATCH, 8, 8), "28x28": (BATCH, 28, 28), "32x32 RGB": (BATCH, 32, 32, 3)}
OPERATIONS = ["flip", "rotate", "elastic", "brightness-contrast", "Cutout", "RandAugment(2, 9)"]
PEERS = ["albumentations", "torchvision"]

TEST_SIZE, TRAIN_SIZE, SEARCH_SIZE, SEARCH_FOLDS, SEARCH_REPEATS = 600, 150, 600, 4, 2
#: The search's best policies scored again on fresh splits, and how often those are reshuffled.
FINALISTS, CONFIRM_REPEATS = 3, 4
COPIES, EPOCHS, TRIALS = 4, 20, 20
#: The searched operations: small moves, elastic and cutout, which keep a digit's identity.
DIGIT_OPS = ("identity", "rotate", "shear_x", "shear_y", "translate_x", "translate_y", "elastic", "cutout")
ELASTIC_MAGNITUDE = 5  # Simard et al.'s setting, sized to the image (see cairn.augment.policies)
#: The search's first trials: known policies at their usual settings, in AutoAugment's form.
CLASSIC_POLICIES = {
    "none": [[("identity", 0.0, 0)]],
    f"Simard's elastic (magnitude {ELASTIC_MAGNITUDE})": [[("elastic", 1.0, ELASTIC_MAGNITUDE)]],
    "rotations to 15 degrees and shifts to 9% of the side": [[("rotate", 1.0, 5), ("translate_x", 1.0, 2)],
                                                              [("rotate", 1.0, 5), ("translate_y", 1.0, 2)]],
    "Cutout (half the side)": [[("cutout", 1.0, 10)]],
}


@dataclass(frozen=True)
class Replication:
    """One independent run of part (b): the test split, the training seeds, the search seed."""

    split_seed: int
    seeds: tuple[int, ...]
    search_seed: int


#: Fresh seeds, first used for the version that confirms its finalists. Earlier versions
#: were judged on (1234, seeds 0-4, search 100) and (4321, seeds 5-9, search 200); see
#: :data:`PROVENANCE`.
REPLICATIONS = (Replication(2468, (10, 11, 12, 13, 14), 500), Replication(8642, (15, 16, 17, 18, 19), 600))
#: Seeds for developing the search, none shared with :data:`REPLICATIONS`.
DEV_REPLICATIONS = (Replication(5678, (20, 21, 22, 23, 24), 300), Replication(8765, (25, 26, 27, 28, 29), 400))


def elastic_setting(side: int) -> tuple[float, float]:
    """Simard et al.'s alpha 34 and sigma 4 on 28x28 digits, scaled to ``side``."""
    return 34 * side / 28, 4 * side / 28


# --------------------------------------------------------------------------- throughput


def cairn_ops(side: int) -> dict[str, Callable[[np.ndarray, np.random.Generator], Any]]:
    """cairn's operations: each is called as ``op(batch, rng)`` on the whole batch."""
    alpha, sigma = elastic_setting(side)
    return {"flip": Flip(p=0.5), "rotate": Rotate(15), "elastic": Elastic(alpha, sigma),
            "brightness-contrast": BrightnessContrast(0.2, 0.2), "Cutout": Cutout(0.5),
            "RandAugment(2, 9)": RandAugment(2, 9)}


def albumentations_ops(side: int) -> dict[str, Callable]:
    import albumentations as A
    import cv2

    cv2.setNumThreads(1)
    alpha, sigma = elastic_setting(side)
    hole = side // 2
    m = 0.9  # magnitude 9 of 10
    rand_augment = [
        A.NoOp(p=1), A.AutoContrast(p=1), A.Equalize(p=1), A.Rotate(limit=(-30 * m, 30 * m), p=1),
        A.Solarize(threshold_range=(1 - m, 1 - m), p=1), A.ColorJitter(0, 0, (1 - m, 1 + m), 0, p=1),
        A.Posterize(num_bits=8 - round(4 * m), p=1), A.ColorJitter(0, (1 - m, 1 + m), 0, 0, p=1),
        A.ColorJitter((1 - m, 1 + m), 0, 0, 0, p=1), A.Sharpen(p=1),
        A.Affine(shear={"x": (-16.7 * m, 16.7 * m), "y": 0}, p=1), A.Affine(shear={"x": 0, "y": (-16.7 * m, 16.7 * m)}, p=1),
        A.Affine(translate_percent={"x": (-0.45 * m, 0.45 * m), "y": 0}, p=1),
        A.Affine(translate_percent={"x": 0, "y": (-0.45 * m, 0.45 * m)}, p=1),
    ]
    transforms = {
        "flip": A.HorizontalFlip(p=0.5),
        "rotate": A.Rotate(limit=15, border_mode=cv2.BORDER_CONSTANT, p=1),
        "elastic": A.ElasticTransform(alpha=alpha, sigma=sigma, p=1),
        "brightness-contrast": A.RandomBrightnessContrast(0.2, 0.2, p=1),
        "Cutout": A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(hole, hole),
                                  hole_width_range=(hole, hole), fill=0, p=1),
        "RandAugment(2, 9)": A.SomeOf(rand_augment, n=2, p=1),
    }
    return {name: PerImage(lambda image, t=t: t(image=image)["image"]) for name, t in transforms.items()}


def torchvision_ops(side: int) -> dict[str, Callable]:
    import torch
    from torchvision.transforms import InterpolationMode, v2

    torch.set_num_threads(1)
    alpha, sigma = elastic_setting(side)
    transforms = {
        "flip": v2.RandomHorizontalFlip(0.5),
        "rotate": v2.RandomRotation(15, interpolation=InterpolationMode.BILINEAR),
        "elastic": v2.ElasticTransform(alpha=alpha, sigma=sigma),
        "brightness-contrast": v2.ColorJitter(brightness=0.2, contrast=0.2),
        "Cutout": v2.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0),
        "RandAugment(2, 9)": v2.RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=11),
    }
    return {name: PerImage(t) for name, t in transforms.items()}


class PerImage:
    """A peer's transform called once per image, as a data loader calls it."""

    def __init__(self, transform: Callable[[Any], Any]):
        self.transform = transform

    def __call__(self, images: list, rng: np.random.Generator) -> list:
        return [self.transform(image) for image in images]


def peer_inputs(peer: str, images: np.ndarray) -> Any:
    """The batch as the peer's per-image calls take it: arrays, or (C, H, W) uint8 tensors."""
    if peer != "torchvision":
        return list(images)
    import torch

    chw = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    return list(torch.from_numpy(np.ascontiguousarray(chw)))


def throughput(repeats: int, peer_repeats: int) -> tuple[dict, dict[str, str]]:
    """Images per second per (operation, size, library), and why any peer is absent."""
    makers = {"cairn": cairn_ops, "albumentations": albumentations_ops, "torchvision": torchvision_ops}
    absent: dict[str, str] = {}
    rates: dict[tuple[str, str, str], float] = {}
    rng = np.random.default_rng(0)
    for size, shape in SIZES.items():
        images = rng.integers(0, 256, shape, dtype=np.uint8)
        for library, make in makers.items():
            if library in absent:
                continue
            try:
                ops = make(shape[1])
                batch = images if library == "cairn" else peer_inputs(library, images)
            except Exception as exc:  # a peer that does not import is reported, not fatal
                absent[library] = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
                continue
            for name, op in ops.items():
                draws = np.random.default_rng(1)
                times = timed(lambda op=op, batch=batch, draws=draws: op(batch, draws),
                              repeats if library == "cairn" else peer_repeats)
                rates[(name, size, library)] = BATCH / statistics.median(times)
            print(f"throughput {size} {library} done", flush=True)
    return rates, absent


# --------------------------------------------------------------------------- accuracy


def digits(split_seed: int) -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16).astype(np.float32)
    pool_x, test_x, pool_y, test_y = train_test_split(images, data.target, test_size=TEST_SIZE,
                                                      stratify=data.target, random_state=split_seed)
    return {"pool_x": pool_x, "pool_y": pool_y, "test_x": test_x, "test_y": test_y}


def draw(data: dict, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    x, _, y, _ = train_test_split(data["pool_x"], data["pool_y"], train_size=n, stratify=data["pool_y"],
                                  random_state=seed)
    return x, y


class SmallCNN(ClassifierMixin, BaseEstimator):
    """A small convolutional classifier for square grey images given as rows of pixels.

    Two 3x3 convolutions (``channels`` and twice that), a 2x2 max-pool and a hidden layer
    of 64 units, trained with Adam for ``max_iter`` epochs on one CPU thread; the weights
    and the batch order follow ``random_state``.
    """

    def __init__(self, channels: int = 8, max_iter: int = EPOCHS, batch_size: int = 32,
                 learning_rate: float = 3e-3, random_state: int = 0):
        self.channels, self.max_iter, self.batch_size = channels, max_iter, batch_size
        self.learning_rate, self.random_state = learning_rate, random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> SmallCNN:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(self.random_state)
        self.classes_, codes = np.unique(y, return_inverse=True)
        images = self._images(X)
        self.net_ = self._net(images.shape[-1], len(self.classes_))
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.learning_rate)
        targets, loss = torch.as_tensor(codes), torch.nn.CrossEntropyLoss()
        order = np.random.default_rng(self.random_state)
        self.net_.train()
        for _ in range(self.max_iter):
            shuffled = torch.as_tensor(order.permutation(len(images)))
            for batch in shuffled.split(self.batch_size):
                optimizer.zero_grad()
                loss(self.net_(images[batch]), targets[batch]).backward()
                optimizer.step()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        self.net_.eval()
        with torch.no_grad():
            return self.classes_[self.net_(self._images(X)).argmax(1).numpy()]

    def _net(self, side: int, n_classes: int) -> Any:
        from torch import nn

        c = self.channels
        return nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * c * (side // 2) ** 2, 64), nn.ReLU(),
                             nn.Linear(64, n_classes))

    @staticmethod
    def _images(X: np.ndarray) -> Any:
        import torch

        side = int(round(np.sqrt(np.shape(X)[1])))
        return torch.as_tensor(np.asarray(X, dtype=np.float32).reshape(-1, 1, side, side))


def digit_space() -> Any:
    """The searched policies: 2 sub-policies of 2 steps over :data:`DIGIT_OPS`."""
    return policy_space(n_subpolicies=2, ops=DIGIT_OPS)


def learn_policy(data: dict, n_trials: int, seed: int) -> tuple[Any, dict]:
    """The best policy of a TPE Study over :func:`digit_space`, warm-started with
    :data:`CLASSIC_POLICIES`, once its :data:`FINALISTS` best are scored again on fresh
    splits, and what the search saw and cost."""
    from cairn.track import Store

    x, y = draw(data, SEARCH_SIZE, seed)
    objective = AugmentObjective(x, y, model=SmallCNN(random_state=seed), copies=COPIES,
                                 resampling=TrainOnOneFold(SEARCH_FOLDS, SEARCH_REPEATS, seed), seed=seed)
    classics = [policy_config(policy) for policy in CLASSIC_POLICIES.values()]
    with tempfile.TemporaryDirectory() as root:
        store = Store(f"sqlite:///{Path(root) / 'augment.db'}")
        start = time.perf_counter()
        result = search_policy(objective, digit_space(), strategy="tpe", n_trials=n_trials, seed=seed,
                               store=store, warm_start=classics)
        fresh = AugmentObjective(x, y, model=SmallCNN(random_state=seed), copies=COPIES,
                                 resampling=TrainOnOneFold(SEARCH_FOLDS, CONFIRM_REPEATS, seed + 1), seed=seed + 1)
        confirmed = confirm_finalists(result, fresh, digit_space(), finalists=FINALISTS, seed=seed + 1, store=store)
        elapsed = time.perf_counter() - start
        recorded = len([r for r in store.runs(result.study_id) if r["parent_run_id"] == result.run_id])
        store.close()
    scores = [t.result.metrics["accuracy"] for t in result.trials]

    def index(config: dict) -> int:
        return next(i for i, t in enumerate(result.trials) if t.config == config)

    best = result.trials[index(confirmed.best.config)]
    return policy_from_config(best.config), {
        "finalists": [(index(f.config), scores[index(f.config)], f.result.metrics["accuracy"])
                      for f in confirmed.trials],
        "classic_cv_accuracy": dict(zip(CLASSIC_POLICIES, scores, strict=False)),
        "searched_cv_accuracy": max(scores[len(classics):], default=float("nan")),
        "trials": len(result.trials), "recorded": recorded, "seconds": elapsed, "config": dict(best.config),
        "cv_accuracy": best.result.metrics["accuracy"], "best_trial": result.trials.index(best)}


def accuracy(data: dict, conditions: dict[str, Callable[[int], Any]], seeds: Sequence[int]) -> dict[str, list[float]]:
    from cairn.evaluate.objective import quiet

    scores: dict[str, list[float]] = {name: [] for name in conditions}
    test_x = features(data["test_x"])
    for seed in seeds:
        x, y = draw(data, TRAIN_SIZE, seed)
        for name, policy in conditions.items():
            images, labels = augment_copies(x, y, policy(seed), COPIES, seed=seed)
            with quiet(1):
                model = SmallCNN(random_state=seed).fit(features(images), labels)
            scores[name].append(float(model.score(test_x, data["test_y"])))
        print(f"accuracy seed {seed} done", flush=True)
    return scores


def replicate(replication: Replication, n_trials: int, seeds: Sequence[int]) -> tuple[dict, dict]:
    """Part (b) once: learn a policy, then every condition's test accuracy per seed."""
    data = digits(replication.split_seed)
    learned, search = learn_policy(data, n_trials, replication.search_seed)
    print(f"search {replication.search_seed} done in {search['seconds']:.0f} s", flush=True)
    space, side = digit_space(), data["test_x"].shape[-1]
    elastic = policy_op("elastic", ELASTIC_MAGNITUDE)
    alpha, sigma = elastic.alpha[0] * side**2, elastic.sigma * side
    conditions: dict[str, Callable[[int], Any]] = {
        "none": lambda seed: None,
        f"elastic (magnitude {ELASTIC_MAGNITUDE}: alpha {alpha:.2f}, sigma {sigma:.2f})": lambda seed: elastic,
        "Cutout (half the side)": lambda seed: Cutout(0.5),
        "RandAugment(2, 9)": lambda seed: RandAugment(2, 9),
        "random policy": lambda seed: policy_from_config(space.sample(np.random.default_rng(seed))),
        "learned policy": lambda seed: learned,
    }
    return accuracy(data, conditions, seeds), search


# --------------------------------------------------------------------------- report


def report(header: str, rates: dict, absent: dict[str, str], replications: list[tuple], repeats: int,
           peer_repeats: int) -> str:
    lines = ["# Data augmentation: throughput and learned policies", "",
             f"`bench/augment.py` on {header}; one thread everywhere.", ""]
    lines += throughput_table(rates, absent, repeats, peer_repeats)
    lines += accuracy_tables(replications)
    return "\n".join(lines) + "\n"


def throughput_table(rates: dict, absent: dict[str, str], repeats: int, peer_repeats: int) -> list[str]:
    present = [p for p in PEERS if p not in absent]
    lines = ["## Throughput (images per second, batches of 256 uint8 images)", "",
             f"Median of {repeats} batches for cairn (whole batch per call) and of {peer_repeats} for the peers "
             "(one call per image). Higher is better; the ratio is cairn's rate over the peer's.", "",
             "| operation | size | cairn | " + " | ".join(present) + " | " +
             " | ".join(f"cairn / {p}" for p in present) + " |",
             "|---|---|---:|" + "---:|" * (2 * len(present))]
    for name in OPERATIONS:
        for size in SIZES:
            own = rates[(name, size, "cairn")]
            peer = [rates.get((name, size, p)) for p in present]
            lines.append(f"| {name} | {size} | {own:,.0f} | " + " | ".join(f"{r:,.0f}" for r in peer) + " | "
                         + " | ".join(f"{own / r:.1f}x" for r in peer) + " |")
    for peer, why in absent.items():
        lines.append(f"\n{peer} was absent: {why}")
    lines += ["", "albumentations' RandAugment row is `SomeOf(n=2)` over the same 14 operations at magnitude 9 "
              "(it has no RandAugment); torchvision's is `v2.RandAugment(2, 9, num_magnitude_bins=11)`.", ""]
    if "albumentations" not in absent:
        won = [n for n in OPERATIONS if all(rates[(n, s, "cairn")] >= rates[(n, s, "albumentations")] for s in SIZES)]
        lines.append(f"Target (at or above albumentations at every size for at least 4 of 6 operations): "
                     f"{'met' if len(won) >= 4 else 'missed'}, {len(won)} of 6 ({', '.join(won) or 'none'}).")
    if "torchvision" not in absent:
        ratios = [rates[("elastic", s, "cairn")] / rates[("elastic", s, "torchvision")] for s in SIZES]
        lines.append(f"Elastic beside torchvision: {', '.join(f'{r:.0f}x' for r in ratios)} at "
                     f"{', '.join(SIZES)}.")
    return lines + [""]


#: What was decided after seeing which numbers; part of the results, since a target that
#: tests a search's choice means little without it.
PROVENANCE = (
    "How the search's settings were chosen. The previous version of this benchmark (a BOHB Study of 54 trials "
    "over the same space, scored on the same 4 folds trained once each) missed this target in both "
    "replications, and fixed elastic at magnitude 5 was the best condition in both (+1.97 and +1.87 points). "
    "That is why the search now starts from known policies that include Simard's elastic: a choice informed by "
    "those replications' test results, though the warm-start policies are the classic ones at their published "
    "settings and the search, not the test set, chooses among them and everything it proposes. The other "
    "settings (TPE at the full budget, since a multi-fidelity strategy cannot learn from warm-start trials; 20 "
    "trials, which keeps part (b) near a quarter of an hour on an idle machine; the folds reshuffled twice, to "
    "halve the noise of each score) were fixed by reasoning before any run of this version. A check on "
    "development seeds (split seed 5678, search seed 300, ``--dev``) was started and, on a heavily loaded shared "
    "machine, stopped after 10 of its search trials: it showed search-fold scores only (Simard's elastic 0.931, "
    "the best; no augmentation 0.911), no test accuracy, and changed nothing. That version (version 2) was then "
    "run once on split seeds 1234 and 4321: it met the target in the first (+1.80 points against a spread of "
    "1.22) and missed it in the second (+0.93 against 1.38), where its pick had the best search score (0.9286, "
    "against Simard's elastic 0.9231) and tested below elastic (0.9307 against 0.9400). The best of 20 noisy "
    "scores is partly the luckiest, so this version (version 3) scores the search's 3 best again on fresh splits "
    "and picks by those fresh scores: a change informed by that replication's test result. Its settings (3 "
    "finalists, 4 reshuffles) were fixed by reasoning: about a third of the search's fits. One development "
    "replication (split seed 5678, seeds 20-24, search seed 300, ``--dev --replications 1``) then ran once: the "
    "learned policy gained +1.83 points over none against a spread of 1.89 (missed narrowly; elastic +1.90), and "
    "nothing was changed after it. The two replications below use fresh seeds, first used for version 3, and "
    "ran once."
)


def accuracy_tables(replications: list[tuple[Replication, dict, dict]]) -> list[str]:
    """Both replications' tables, then the target judged on both."""
    lines = ["## Held-out accuracy on digits", "",
             f"Two independent replications, each with its own fixed test set of {TEST_SIZE} images (split seed), "
             f"training seeds and search seed. Per seed: {TRAIN_SIZE} training images drawn from the rest, {COPIES} "
             f"augmented copies beside them, a small CNN (2 convolutions of 8 and 16 channels, a 64-unit layer; "
             f"torch, CPU) for {EPOCHS} epochs (a fixed budget: every condition trains on "
             f"{TRAIN_SIZE * (COPIES + 1):,} rows for {EPOCHS} epochs). The random and the learned policy come from "
             f"the same space: 2 sub-policies of 2 steps over {', '.join(DIGIT_OPS)} (no flips or colour "
             f"operations: the digits are grey and centred). Gains are paired by seed. The learned policy comes "
             f"from a TPE Study of {TRIALS} trials at {EPOCHS} epochs whose first {len(CLASSIC_POLICIES)} trials "
             f"are known policies at their usual settings ({'; '.join(CLASSIC_POLICIES)}); it scores each policy "
             f"on {SEARCH_SIZE} other non-test images in {SEARCH_FOLDS} folds of {SEARCH_SIZE // SEARCH_FOLDS}, "
             f"each fold training once and the other {SEARCH_SIZE - SEARCH_SIZE // SEARCH_FOLDS} images validating, "
             f"the scheme reshuffled {SEARCH_REPEATS} times ({SEARCH_FOLDS * SEARCH_REPEATS} fits per score). "
             f"Its {FINALISTS} best are scored again on fresh splits of the same images (another seed, reshuffled "
             f"{CONFIRM_REPEATS} times: {SEARCH_FOLDS * CONFIRM_REPEATS} fits each), and the learned policy is the "
             f"best by those fresh scores; test accuracy never chose anything.", "",
             PROVENANCE, ""]
    verdicts = []
    for replication, scores, search in replications:
        table, met = accuracy_table(replication, scores, search)
        lines += table
        verdicts.append(met)
    lines += [f"Target over both replications: {'met' if all(verdicts) else 'missed'} "
              f"(met in {sum(verdicts)} of {len(verdicts)}).", ""]
    return lines


def accuracy_table(replication: Replication, scores: dict[str, list[float]], search: dict) -> tuple[list[str], bool]:
    """One replication's table and whether the target is met in it."""
    none = np.array(scores["none"])
    seeds = replication.seeds[:len(none)]
    lines = [f"### Split seed {replication.split_seed}, seeds {', '.join(map(str, seeds))}, "
             f"search seed {replication.search_seed}", "",
             "| augmentation | mean accuracy | std over seeds | gain over none (mean +- std) | per seed |",
             "|---|---:|---:|---:|---|"]
    for name, values in scores.items():
        values_ = np.array(values)
        gain = values_ - none
        gain_text = "" if name == "none" else f"{gain.mean() * 100:+.2f} +- {gain.std(ddof=1) * 100:.2f} pts"
        lines.append(f"| {name} | {values_.mean():.4f} | {values_.std(ddof=1):.4f} | {gain_text} | "
                     + ", ".join(f"{v:.4f}" for v in values) + " |")
    learned, random_ = np.array(scores["learned policy"]), np.array(scores["random policy"])
    spread = none.std(ddof=1)
    over_none, over_random = (learned - none).mean(), (learned - random_).mean()
    met = bool(over_none > spread and over_random > spread)
    classics = "; ".join(f"{name}: {score:.4f}" for name, score in search["classic_cv_accuracy"].items())
    origin = (f"warm-start trial {search['best_trial'] + 1}" if search["best_trial"] < len(CLASSIC_POLICIES)
              else f"trial {search['best_trial'] + 1}, found by TPE")
    finalists = "; ".join(f"trial {i + 1}: {searched:.4f} on the search's folds, {fresh:.4f} on fresh ones"
                          for i, searched, fresh in search["finalists"])
    lines += ["", f"The learned policy came from a TPE Study of {search['trials']} trials ({search['recorded']} "
              f"recorded in the store) and the confirmation of its {len(search['finalists'])} best, in "
              f"{search['seconds']:.0f} s: {origin}. On the search's folds it scored {search['cv_accuracy']:.4f}; "
              f"the warm-start policies scored {classics}; the best policy TPE proposed itself "
              f"{search['searched_cv_accuracy']:.4f}. The finalists ({finalists}) were ranked by their fresh "
              f"scores. It is:", "", "```",
              policy_text(search["config"]), "```", "",
              f"Target (the learned policy beats no augmentation and a random policy by more than the "
              f"seed-to-seed spread, the std of the no-augmentation accuracy over seeds, {spread * 100:.2f} pts): "
              f"{'met' if met else 'missed'}; gain over none {over_none * 100:+.2f} pts, over a random policy "
              f"{over_random * 100:+.2f} pts.", ""]
    return lines, met


def policy_text(config: dict) -> str:
    policy = policy_from_config(config)
    return "\n".join(" then ".join(f"{name} (p={p:.2f}, magnitude {m:g})" for name, p, m in sub)
                     for sub in policy.subpolicies)


def machine() -> str:
    import scipy
    import sklearn

    versions = [f"numpy {np.__version__}", f"scipy {scipy.__version__}", f"scikit-learn {sklearn.__version__}"]
    for module in ("albumentations", "cv2", "torch", "torchvision"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except Exception:  # absent peers are named in their table
            pass
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores (shared; load {load:.1f} at start), Python {platform.python_version()}, "
            + ", ".join(versions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, 2 seeds, a small search; writes nothing")
    parser.add_argument("--accuracy-only", action="store_true", help="part (b) alone; writes nothing")
    parser.add_argument("--dev", action="store_true", help="part (b) alone on the development seeds; writes nothing")
    parser.add_argument("--replications", type=int, help="only the first this many replications; writes nothing")
    args = parser.parse_args()
    threadpool_limits(1)
    repeats, peer_repeats, n_seeds, n_trials = (5, 2, 2, 6) if args.quick else (21, 7, None, TRIALS)
    header = machine()
    replications = [(r, *replicate(r, n_trials, r.seeds[:n_seeds]))
                    for r in (DEV_REPLICATIONS if args.dev else REPLICATIONS)[:args.replications]]
    if args.accuracy_only or args.dev or args.replications:
        publish("\n".join(accuracy_tables(replications)), None)
        return
    rates, absent = throughput(repeats, peer_repeats)
    text = report(header, rates, absent, replications, repeats, peer_repeats)
    publish(text, None if args.quick else RESULTS / "augment.md")


if __name__ == "__main__":
    main()
