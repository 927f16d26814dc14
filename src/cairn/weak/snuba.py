"""Heuristic generation after Snuba (Varma & Ré, PVLDB 2018).

Given a small labelled set and a large unlabelled one, Snuba writes the labeling
functions itself. Each round it

1. *synthesises* candidates: for every feature subset of up to ``subset_size``
   features, a decision tree as deep as the subset is large (one feature: a threshold,
   i.e. a decision stump) trained on the labelled rows the label model is not yet sure
   of; a leaf votes its majority class only if its purity clears a threshold chosen to
   maximise the heuristic's F1 on those rows, and abstains otherwise;
2. *prunes*: keeps candidates better than chance on the whole labelled set and commits
   the one with the best mix of F1 on the unsure rows and diversity (Jaccard distance
   of what it labels from each committed heuristic's);
3. *verifies*: fits the label model on every committed heuristic's votes and measures
   its quality on the labelled rows (the fraction it labels correctly; an unlabelled
   row counts as wrong).

It stops when the quality has not improved for ``patience`` rounds (or after
``max_heuristics``) and keeps the committed heuristics up to the best round, but never
fewer than ``min_heuristics``: a label model needs three LFs to tell their accuracies
apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier

from cairn.errors import UserError
from cairn.weak.apply import apply_lfs
from cairn.weak.base import LabelModel
from cairn.weak.heuristics import column_values
from cairn.weak.labels import ABSTAIN
from cairn.weak.lf import LabelingFunction
from cairn.weak.matrix_completion import MatrixCompletion


@dataclass
class TreeVote:
    """A generated heuristic: a small tree on some columns whose leaves vote a class or
    abstain (``node_votes`` maps each tree node to its vote). A module-level callable, so
    generated labeling functions pickle."""

    columns: tuple[Any, ...]
    tree: DecisionTreeClassifier
    node_votes: np.ndarray

    def __call__(self, data: Any) -> np.ndarray:
        X = np.column_stack([np.asarray(column_values(data, c), dtype=np.float64) for c in self.columns])
        return self.node_votes[self.tree.apply(X)]


class Snuba:
    """Generate threshold and decision-stump labeling functions from a few labels.

    ``label_model`` (default :class:`MatrixCompletion`) is cloned and fitted on the
    committed heuristics' votes each round. ``diversity`` weighs diversity against F1
    when committing (Snuba's 0.5). ``unsure`` is the probability of the true class
    below which a labelled row is still worth new heuristics. ``min_margin`` is how much
    better than chance (1 / classes) a candidate must be on the labelled rows.
    """

    def __init__(self, label_model: LabelModel | None = None, *, subset_size: int = 1, min_heuristics: int = 3,
                 max_heuristics: int = 25, patience: int = 3, diversity: float = 0.5, unsure: float = 0.9,
                 min_margin: float = 0.05, seed: int = 0):
        self.label_model, self.subset_size = label_model, subset_size
        self.min_heuristics, self.max_heuristics = min_heuristics, max_heuristics
        self.patience, self.diversity, self.unsure, self.min_margin = patience, diversity, unsure, min_margin
        self.seed = seed

    def fit(self, X_labelled: Any, y_labelled: Any, X_unlabelled: Any) -> Snuba:
        """Generate heuristics; they end up in ``lfs_``, with the quality after each
        committed one in ``history_`` and the fitted label model in ``label_model_``."""
        columns, labelled, unlabelled = _features(X_labelled, X_unlabelled)
        y = _labels(y_labelled, len(labelled))
        k = int(y.max()) + 1
        if self.subset_size not in (1, 2):
            raise UserError(f"subset_size must be 1 or 2, got {self.subset_size}")
        model = clone(self.label_model) if self.label_model is not None else MatrixCompletion(seed=self.seed)
        model.set_params(cardinality=k)
        lfs: list[LabelingFunction] = []
        votes_lab = np.empty((len(y), 0), dtype=np.int64)
        votes_unl = np.empty((len(unlabelled), 0), dtype=np.int64)
        focus = np.ones(len(y), dtype=bool)
        self.history_: list[float] = []
        best, best_size = -np.inf, 0
        while len(lfs) < self.max_heuristics and (len(lfs) < self.min_heuristics
                                                   or len(lfs) - best_size < self.patience):
            found = self._best_candidate(labelled, unlabelled, y, k, focus, votes_lab, votes_unl)
            if found is None:
                break
            vote, on_labelled, on_unlabelled = found
            lfs.append(LabelingFunction(f"snuba_{len(lfs)}_" + "_".join(str(columns[c]) for c in vote.columns),
                                        _renamed(vote, columns), vectorized=True))
            votes_lab = np.column_stack([votes_lab, on_labelled])
            votes_unl = np.column_stack([votes_unl, on_unlabelled])
            model.fit(np.vstack([votes_unl, votes_lab]))
            proba = model.predict_proba(votes_lab)
            covered = (votes_lab != ABSTAIN).any(axis=1)
            quality = float(np.mean(covered & (model.predict(votes_lab) == y)))
            self.history_.append(quality)
            if quality > best or len(lfs) <= self.min_heuristics:
                best, best_size = max(best, quality), len(lfs)
            focus = proba[np.arange(len(y)), y] < self.unsure
            if len(np.unique(y[focus])) < 2:
                focus[:] = True  # every row is sure: look for heuristics that add coverage anywhere
        self.lfs_ = lfs[:best_size]
        self.label_model_ = model.fit(np.vstack([votes_unl, votes_lab])[:, :best_size]) if best_size else None
        return self

    def label_matrix(self, X: Any) -> np.ndarray:
        """The generated heuristics' votes on ``X``."""
        if not getattr(self, "lfs_", None):
            raise UserError("Snuba has generated no heuristics; call fit first (with labels of at least two classes)")
        return apply_lfs(self.lfs_, X)

    def _best_candidate(self, labelled: np.ndarray, unlabelled: np.ndarray, y: np.ndarray, k: int,
                        focus: np.ndarray, votes_lab: np.ndarray,
                        votes_unl: np.ndarray) -> tuple[TreeVote, np.ndarray, np.ndarray] | None:
        committed = [votes_unl[:, j] != ABSTAIN for j in range(votes_unl.shape[1])]
        best, best_score = None, -np.inf
        for subset in itertools.combinations(range(labelled.shape[1]), self.subset_size):
            vote = self._synthesise(labelled[focus][:, subset], y[focus], subset)
            if vote is None:
                continue
            on_labelled = vote(labelled)
            voted = on_labelled != ABSTAIN
            if not voted.any() or np.mean(on_labelled[voted] == y[voted]) < 1 / k + self.min_margin:
                continue
            on_unlabelled = vote(unlabelled)
            covers = on_unlabelled != ABSTAIN
            if any(np.array_equal(on_unlabelled, votes_unl[:, j]) for j in range(votes_unl.shape[1])):
                continue
            overlap = max((_jaccard(covers, other) for other in committed), default=0.0)
            score = (1 - self.diversity) * _f1(on_labelled[focus], y[focus]) + self.diversity * (1 - overlap)
            if score > best_score:
                best, best_score = (vote, on_labelled, on_unlabelled), score
        return best

    def _synthesise(self, X: np.ndarray, y: np.ndarray, subset: Sequence[int]) -> TreeVote | None:
        """A tree on ``subset`` whose leaves vote when pure enough (the purity threshold
        that maximises F1 on the rows it was grown on)."""
        if len(np.unique(y)) < 2:
            return None
        tree = DecisionTreeClassifier(max_depth=len(subset), random_state=self.seed).fit(X, y)
        leaves = np.flatnonzero(tree.tree_.children_left == -1)
        counts = tree.tree_.value[leaves, 0, :]
        purity = counts.max(axis=1) / counts.sum(axis=1)
        classes = tree.classes_[counts.argmax(axis=1)]
        rows = np.searchsorted(leaves, tree.apply(X))  # each row's leaf, as a position in ``leaves``
        options = []
        for threshold in np.unique(purity):
            keep = purity >= threshold
            votes = np.where(keep, classes, ABSTAIN)[rows]
            options.append((_f1(votes, y), -int(keep.sum()), threshold))
        score, _, threshold = max(options)
        if score <= 0:
            return None
        node_votes = np.full(tree.tree_.node_count, ABSTAIN, dtype=np.int64)
        node_votes[leaves] = np.where(purity >= threshold, classes, ABSTAIN)
        return TreeVote(tuple(subset), tree, node_votes)


def _renamed(vote: TreeVote, columns: list[Any]) -> TreeVote:
    """The same heuristic reading the user's column names instead of positions."""
    return TreeVote(tuple(columns[c] for c in vote.columns), vote.tree, vote.node_votes)


def _f1(votes: np.ndarray, y: np.ndarray) -> float:
    """Harmonic mean of accuracy where it votes and coverage: Snuba's per-heuristic F1."""
    voted = votes != ABSTAIN
    if not voted.any():
        return 0.0
    accuracy, coverage = float(np.mean(votes[voted] == y[voted])), float(np.mean(voted))
    return 2 * accuracy * coverage / (accuracy + coverage)


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 0.0


def _features(X_labelled: Any, X_unlabelled: Any) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Column identifiers (names of a DataFrame, positions of an array) and both sets as
    float matrices; every column must be numeric."""
    if isinstance(X_labelled, pd.DataFrame) != isinstance(X_unlabelled, pd.DataFrame):
        raise UserError("give the labelled and the unlabelled data in the same form (both DataFrames or both arrays)")
    if isinstance(X_labelled, pd.DataFrame):
        if list(X_labelled.columns) != list(X_unlabelled.columns):
            raise UserError("the labelled and the unlabelled data must have the same columns")
        columns = list(X_labelled.columns)
    else:
        columns = list(range(np.asarray(X_labelled).shape[1] if np.ndim(X_labelled) == 2 else 0))
    try:
        labelled, unlabelled = (np.asarray(X, dtype=np.float64) for X in (X_labelled, X_unlabelled))
    except (TypeError, ValueError):
        raise UserError("Snuba generates heuristics on numeric features; encode the other columns first") from None
    if labelled.ndim != 2 or unlabelled.ndim != 2 or labelled.shape[1] != unlabelled.shape[1] or not columns:
        raise UserError(f"Snuba needs 2-D data with the same columns, got shapes {labelled.shape} and {unlabelled.shape}")
    return columns, labelled, unlabelled


def _labels(y: Any, n: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) or labels.min(initial=0) < 0:
        raise UserError(f"labels must be {n} classes 0, 1, ... (one per labelled row)")
    if len(np.unique(labels)) < 2:
        raise UserError("Snuba needs labelled rows of at least two classes")
    return labels.astype(np.int64)
