"""The catalog: every learner cairn can search, looked up by task and name."""

from __future__ import annotations

from cairn.data import TASKS
from cairn.errors import UserError
from cairn.learners import lineage_linear, linear, neural, simple, svm, trees
from cairn.learners.base import Learner

_ALL: list[Learner] = [*linear.LEARNERS, *svm.LEARNERS, *simple.LEARNERS, *trees.LEARNERS,
                       *neural.LEARNERS, *lineage_linear.LEARNERS]
CATALOG: dict[str, dict[str, Learner]] = {
    task: {entry.name: entry for entry in _ALL if entry.task == task} for task in TASKS
}


def check_task(task: str) -> str:
    if task not in CATALOG:
        raise UserError(f"task must be 'classification' or 'regression', got {task!r}")
    return task


def learner_names(task: str) -> list[str]:
    """Names of the learners available for ``task``, in catalog order."""
    return list(CATALOG[check_task(task)])


def get_learner(name: str, task: str) -> Learner:
    """The catalog entry ``name`` for ``task``; a UserError lists the valid names otherwise."""
    entry = CATALOG[check_task(task)].get(name)
    if entry is None:
        raise UserError(f"unknown {task} learner {name!r}; choose from {', '.join(learner_names(task))}")
    return entry
