"""The CASH catalog: scikit-learn learners and preprocessing, each with its own Space.

``cash_space(task)`` is the joint space; ``build_pipeline(config, task, seed)`` turns one
of its configs into an unfitted scikit-learn pipeline.
"""

from cairn.learners.base import Fidelity, Learner
from cairn.learners.catalog import CATALOG, get_learner, learner_names
from cairn.learners.joint import cash_space, check_space
from cairn.learners.pipeline import build_pipeline
from cairn.learners.preprocess import PREPROCESSING

__all__ = [
    "CATALOG",
    "PREPROCESSING",
    "Fidelity",
    "Learner",
    "build_pipeline",
    "cash_space",
    "check_space",
    "get_learner",
    "learner_names",
]
