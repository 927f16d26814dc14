"""Resuming a study: its recorded trials replayed into a fresh optimiser.

Each trial run carries two tags: ``asked_after``, how many results the optimiser had
been told when the trial was asked, and ``told_as``, the position of its own result
among all results told. Replaying asks and tells in that interleaving puts a fresh
optimiser (same strategy, space and seed) in the state the old one had, so a
deterministic strategy goes on to propose exactly what it would have proposed had the
study never stopped, whatever the number of workers was. Trials that were running when
the study died have no result: they are asked again in their place and handed back to be
run again (re-queued), so the work is neither lost nor skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.track import Store
from cairn.trial import Result, Trial

ASKED_AFTER = "asked_after"
TOLD_AS = "told_as"
#: Metric prefix of the objectives of a multi-objective result.
OBJECTIVE = "objective_"
#: A run is taken as dead after this many heartbeat intervals without a beat.
LEASE_INTERVALS = 3
_FINISHED = ("complete", "failed", "pruned")


@dataclass
class Recorded:
    """What the store holds of one trial; ``result`` is None if it never finished."""

    number: int
    config: dict[str, Any]
    budget: float | None
    asked_after: int
    told_as: int | None
    result: Result | None


@dataclass
class Replay:
    done: list[Trial]
    requeue: list[Trial]


def check_resumable(store: Store, study_id: int) -> None:
    """A study can be resumed once the process that ran it is gone (its lease expired)."""
    study = store.study(study_id)
    if study is None:
        raise UserError(f"there is no study {study_id} in the store at {store.url}")
    if study["status"] == "running":
        lease = LEASE_INTERVALS * store.heartbeat_interval
        raise UserError(f"study {study_id} is still running in another process (it beat within the last "
                        f"{lease:g} s); stop that process first, or wait {lease:g} s after it died")


def recorded_trials(store: Store, study_id: int) -> list[Recorded]:
    """The study's trials by number; a trial that was run again keeps its finished run."""
    trials: dict[int, Recorded] = {}
    for run in store.runs(study_id=study_id):
        if run["trial_number"] is None:
            continue  # the study's own parent run
        rec = _recorded(run)
        if rec.number not in trials or trials[rec.number].result is None:
            trials[rec.number] = rec
    return [trials[n] for n in sorted(trials)]


def _recorded(run: dict[str, Any]) -> Recorded:
    params, tags, metrics = dict(run["params"]), run["tags"], dict(run["metrics"])
    budget = params.pop("budget", None)
    finished = run["status"] in _FINISHED and TOLD_AS in tags
    result = None
    if finished:
        loss = metrics.pop("loss", math.inf)
        cost = metrics.pop("cost", 0.0)
        objectives = tuple(metrics.pop(f"{OBJECTIVE}{i}") for i in range(len(metrics))
                           if f"{OBJECTIVE}{i}" in metrics)
        result = Result(loss=loss, metrics=metrics, cost=cost, error=tags.get("error"), objectives=objectives)
    return Recorded(run["trial_number"], params, budget, int(tags.get(ASKED_AFTER, 0)),
                    int(tags[TOLD_AS]) if finished else None, result)


def replay(optimizer: Optimizer, recorded: list[Recorded]) -> Replay:
    """Ask and tell ``optimizer`` what the study recorded, in the order it happened.

    Raises a UserError if the strategy proposes another config than the recorded one:
    then it is not deterministic and the study cannot be continued exactly.
    """
    by_number = {r.number: r for r in recorded}
    told = sorted((r for r in recorded if r.result is not None), key=lambda r: r.told_as)  # type: ignore[arg-type,return-value]
    asked: dict[int, Trial] = {}
    out = Replay([], [])

    def tell_until(count: int) -> None:
        while len(out.done) < count:
            rec = told[len(out.done)]
            trial = asked[rec.number]
            optimizer.tell(trial, rec.result)  # type: ignore[arg-type]
            out.done.append(trial)

    for number in range(max(by_number, default=-1) + 1):
        rec = by_number.get(number)
        tell_until(min(rec.asked_after if rec else len(out.done), len(told)))
        trial = optimizer.ask()
        if trial.id != number or (rec is not None and (dict(trial.config) != rec.config or trial.budget != rec.budget)):
            raise UserError(f"cannot resume: strategy '{optimizer.name}' proposed another trial {number} than "
                            "the one recorded, so it does not replay deterministically")
        asked[number] = trial
        if rec is None or rec.result is None:
            out.requeue.append(trial)
    tell_until(len(told))
    return out
