"""Model-based search: Gaussian-process and random-forest BO, and TPE.

The forest surrogate (scikit-learn) is imported only when a forest is used.
"""

from __future__ import annotations

from cairn.optim.bayes.gp import GaussianProcess
from cairn.optim.bayes.smbo import TPE, BayesianOptimization, ModelBasedOptimizer
from cairn.optim.bayes.tpe import ParzenEstimator

__all__ = ["BayesianOptimization", "GaussianProcess", "ModelBasedOptimizer", "ParzenEstimator", "TPE"]
