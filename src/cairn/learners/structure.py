"""Pipeline structures: a sequence of operators between the column step and the learner.

Pipeline evolution (:mod:`cairn.optim.evolution`) searches *which* preprocessing runs and
in what order, not only its settings. A structure is still a flat config, so the Store
records it as params and a resumed study replays it like any other::

    {"impute": "median", "learner": "rbf_svm", "rbf_svm.C": 3.2, "rbf_svm.gamma": 0.01,
     "n_steps": 2, "step0": "standard_scaler", "step1": "pca", "step1.pca.fraction": 0.5}

``n_steps`` operators run in the order ``step0``, ``step1``, ...; step ``i`` running
operator ``op`` takes its parameters from ``step<i>.<op>.<param>`` (defaults fill any
left out). The column step (imputation, then one-hot encoding of categories) always
comes first, so raw frames with gaps work; it does not scale, because scalers are
operators here, so the CASH choices ``scale`` and ``features`` (and their fractions)
are not part of a structure. Presence and identity of each step are ordinary
conditions (``step1`` is active when ``n_steps`` is 2 or more, ``step1.pca.fraction``
when ``step1`` is ``pca``), so :func:`structure_space` is a plain
:class:`~cairn.space.Space` that validates and samples structures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, RobustScaler, StandardScaler

from cairn.errors import ConfigError, SpaceError
from cairn.learners.preprocess import PREPROCESSING, KeepFraction
from cairn.space import Categorical, Float, Int, Space

#: The parameter counting a structure's operators; its presence marks a structure config.
N_STEPS = "n_steps"
#: The CASH preprocessing a structure keeps: the column step's imputation.
COLUMN_PARAMS = ("impute",)
_STEP_NAME = re.compile(r"step\d+(\..+)?")

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Operator:
    """One preprocessing or feature operator: its own small space and its factory
    ``factory(params, task, seed) -> unfitted transformer``."""

    name: str
    space: Space
    factory: Callable[[Params, str, int], Any]

    def build(self, params: Params, task: str, seed: int) -> Any:
        """The transformer for ``params`` (missing ones take the space's defaults)."""
        return self.factory(self.space.validate(params, fill_defaults=True), task, seed)


class Polynomial(TransformerMixin, BaseEstimator):
    """Degree-2 polynomial features, refused on wide inputs.

    The output grows with the square of the input width (64 inputs make 2144 columns),
    so past ``max_inputs`` a fit raises: the trial fails at once instead of exhausting
    memory, and the search learns to avoid the structure.
    """

    def __init__(self, interaction_only: bool = False, max_inputs: int = 64):
        self.interaction_only = interaction_only
        self.max_inputs = max_inputs

    def fit(self, X: Any, y: Any = None) -> Polynomial:
        width = np.shape(X)[1]
        if width > self.max_inputs:
            raise ValueError(f"polynomial features of {width} columns are refused (at most {self.max_inputs})")
        self.step_ = PolynomialFeatures(2, interaction_only=self.interaction_only, include_bias=False).fit(X)
        return self

    def transform(self, X: Any) -> Any:
        return self.step_.transform(X)


class RbfFeatures(TransformerMixin, BaseEstimator):
    """Nystroem features of an RBF kernel, with no more components than training rows
    (a fold of a small dataset can have fewer rows than the sampled component count)."""

    def __init__(self, gamma: float = 0.1, n_components: int = 50, random_state: int | None = None):
        self.gamma = gamma
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> RbfFeatures:
        self.step_ = Nystroem(kernel="rbf", gamma=self.gamma, n_components=min(self.n_components, len(X)),
                              random_state=self.random_state).fit(X)
        return self

    def transform(self, X: Any) -> Any:
        return self.step_.transform(X)


_FRACTION = Space([Float("fraction", 0.1, 1.0, default=0.5)])

#: Every operator a structure may use, by name.
OPERATORS: dict[str, Operator] = {op.name: op for op in [
    Operator("standard_scaler", Space(), lambda p, task, seed: StandardScaler()),
    Operator("minmax_scaler", Space(), lambda p, task, seed: MinMaxScaler()),
    Operator("robust_scaler", Space(), lambda p, task, seed: RobustScaler()),
    Operator("pca", _FRACTION, lambda p, task, seed: KeepFraction("pca", p["fraction"], task, seed)),
    Operator("select_k_best", _FRACTION,
             lambda p, task, seed: KeepFraction("select_k_best", p["fraction"], task, seed)),
    Operator("polynomial", Space([Categorical("interaction_only", [False, True])]),
             lambda p, task, seed: Polynomial(p["interaction_only"])),
    Operator("nystroem", Space([Float("gamma", 1e-3, 10.0, log=True, default=0.1),
                                Int("n_components", 10, 200, log=True, default=50)]),
             lambda p, task, seed: RbfFeatures(p["gamma"], p["n_components"], seed)),
]}

Steps = list[tuple[str, dict[str, Any]]]


def is_structured(config: Mapping[str, Any]) -> bool:
    """Whether ``config`` describes a structure (it counts its steps)."""
    return N_STEPS in config


def is_structure_name(name: str) -> bool:
    """Whether ``name`` is one of the parameters a structure adds to the learner's."""
    return name == N_STEPS or _STEP_NAME.fullmatch(name) is not None


def learner_space(space: Space) -> Space:
    """The part of a CASH space a structure keeps: the learner, its parameters and
    imputation (scaling and feature choices are operators of the structure instead)."""
    replaced = set(PREPROCESSING.names) - set(COLUMN_PARAMS)
    keep = [p for p in space.params if p.name not in replaced and not is_structure_name(p.name)]
    names = {p.name for p in keep}
    conditions = {child: parents for child, parents in space.conditions.items() if child in names}
    return Space(keep, conditions)


def structure_space(space: Space, max_steps: int = 3) -> Space:
    """The learner part of the CASH space ``space`` plus up to ``max_steps`` operators."""
    if max_steps < 1:
        raise SpaceError(f"a structure needs room for at least one step, got max_steps={max_steps}")
    spec: dict[str, Any] = {N_STEPS: {"type": "int", "low": 0, "high": max_steps, "default": 0}}
    for i in range(max_steps):
        step = f"step{i}"
        spec[step] = {"type": "categorical", "choices": list(OPERATORS),
                      "when": {N_STEPS: list(range(i + 1, max_steps + 1))}}
        for op in OPERATORS.values():
            for param in op.space.params:
                spec[f"{step}.{op.name}.{param.name}"] = {**param.to_dict(), "when": {step: [op.name]}}
    return learner_space(space) + Space.from_dict({"params": spec})


def split(config: Mapping[str, Any]) -> tuple[dict[str, Any], Steps]:
    """A structure config as its learner part and its steps ``[(operator, params), ...]``."""
    return {k: v for k, v in config.items() if not is_structure_name(k)}, steps_of(config)


def join(base: Mapping[str, Any], steps: Steps) -> dict[str, Any]:
    """The flat structure config of a learner part and its steps (inverse of :func:`split`)."""
    config = {**base, N_STEPS: len(steps)}
    for i, (name, params) in enumerate(steps):
        config[f"step{i}"] = name
        config.update({f"step{i}.{name}.{k}": v for k, v in params.items()})
    return config


def steps_of(config: Mapping[str, Any]) -> Steps:
    """The operators of a structure config, in order, with their own (un-prefixed) params."""
    count = config.get(N_STEPS)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ConfigError(f"'{N_STEPS}' must be a whole number of steps, got {count!r}")
    steps: Steps = []
    used = {N_STEPS}
    for i in range(int(count)):
        name = config.get(f"step{i}")
        if name not in OPERATORS:
            raise ConfigError(f"step{i} must name an operator ({', '.join(OPERATORS)}), got {name!r}")
        prefix = f"step{i}.{name}."
        params = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
        steps.append((name, params))
        used |= {f"step{i}", *(prefix + k for k in params)}
    stray = [k for k in config if is_structure_name(k) and k not in used]
    if stray:
        raise ConfigError(f"'{stray[0]}' belongs to none of the {count} steps of the structure")
    return steps


def build_steps(config: Mapping[str, Any], task: str, seed: int) -> list[tuple[str, Any]]:
    """The named, unfitted transformers of a structure config's steps."""
    out = []
    for i, (name, params) in enumerate(steps_of(config)):
        try:
            out.append((f"step{i}", OPERATORS[name].build(params, task, seed)))
        except ConfigError as exc:
            raise ConfigError(f"step{i} ({name}): {exc}") from None
    return out
