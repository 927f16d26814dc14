"""The Study: the one search loop every subsystem shares.

ask -> evaluate -> tell -> record, until a trial count, a wall-clock budget or the
strategy runs out. The optimiser decides, the executor evaluates, the Store records;
the Study only sequences them and keeps the time budget. Each trial is a child run
written through the same :class:`~cairn.track.Run` handle a training loop uses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import SearchExhausted, UserError
from cairn.execute import SerialExecutor
from cairn.optim.base import Optimizer
from cairn.track import Run, Store
from cairn.trial import Result, Trial, best_trial

Objective = Callable[..., Result]


@dataclass
class Progress:
    """What a progress display needs after each trial."""

    done: int
    n_trials: int | None
    time_budget: float | None
    elapsed: float
    best_loss: float
    last: Trial


@dataclass
class StudyResult:
    study_id: int | None
    run_id: str | None
    trials: list[Trial] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def best(self) -> Trial | None:
        """The best trial at the highest budget reached (see :func:`best_trial`)."""
        return best_trial(self.trials)


class Study:
    """Drive ``optimizer`` against ``objective`` and record every trial in ``store``.

    Stops after ``n_trials`` trials, when ``time_budget`` seconds have passed (each
    trial's limit is cut to the time that is left), or when the strategy is exhausted.
    ``reserve(result_so_far)`` is the time to keep free at the end of the budget for
    work after the search (such as refitting the best model), re-estimated before
    every trial.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        objective: Objective,
        *,
        store: Store | None = None,
        experiment: str = "default",
        name: str | None = None,
        n_trials: int | None = None,
        time_budget: float | None = None,
        trial_time_limit: float | None = None,
        settings: Mapping[str, Any] | None = None,
        callbacks: Sequence[Callable[[Progress], None]] = (),
        reserve: Callable[[StudyResult], float] | None = None,
    ):
        if n_trials is None and time_budget is None:
            raise UserError("a study needs a trial count or a time budget")
        if n_trials is not None and n_trials < 1:
            raise UserError(f"the number of trials must be at least 1, got {n_trials}")
        if time_budget is not None and time_budget <= 0:
            raise UserError(f"the time budget must be positive, got {time_budget}")
        self.optimizer, self.objective, self.store = optimizer, objective, store
        self.experiment, self.name = experiment, name or f"{optimizer.name}-study"
        self.n_trials, self.time_budget, self.trial_time_limit = n_trials, time_budget, trial_time_limit
        self.settings = dict(settings or {})
        self.callbacks = list(callbacks)
        self.reserve = reserve
        self.executor = SerialExecutor()

    def optimize(self) -> StudyResult:
        study_id = run_id = None
        if self.store is not None:
            study_id, run_id = self.store.create_study(
                self.experiment, self.name, self.optimizer.name, self.optimizer.seed,
                self.optimizer.space.to_dict(), self.settings)
        out = StudyResult(study_id, run_id)
        start = time.perf_counter()
        status = "failed"
        try:
            self._loop(out, start)
            status = "complete"
        except KeyboardInterrupt:
            status = "killed"
            raise
        finally:
            out.elapsed = time.perf_counter() - start
            if self.store is not None and study_id is not None:
                self.store.end_study(study_id, status)
        return out

    def _loop(self, out: StudyResult, start: float) -> None:
        best = math.inf
        while self.n_trials is None or len(out.trials) < self.n_trials:
            limit = self._limit(start, out)
            if limit is not None and limit <= 0:
                break
            try:
                trial = self.optimizer.ask()
            except SearchExhausted:
                break
            trial_run = self._start_trial(out, trial)
            result = self.executor.run(self.objective, trial, limit)
            self.optimizer.tell(trial, result)
            self._finish_trial(trial_run, trial, result)
            out.trials.append(trial)
            if result.ok:
                best = min(best, result.loss)
            progress = Progress(len(out.trials), self.n_trials, self.time_budget,
                                time.perf_counter() - start, best, trial)
            for callback in self.callbacks:
                callback(progress)

    def _limit(self, start: float, out: StudyResult) -> float | None:
        remaining = None
        if self.time_budget is not None:
            remaining = self.time_budget - (time.perf_counter() - start)
            if self.reserve is not None:
                remaining -= self.reserve(out)
        limits = [x for x in (remaining, self.trial_time_limit) if x is not None]
        return min(limits) if limits else None

    def _start_trial(self, out: StudyResult, trial: Trial) -> Run | None:
        if self.store is None:
            return None
        params = dict(trial.config)
        if trial.budget is not None:
            params["budget"] = trial.budget
        return self.store.start_run(self.experiment, name=f"trial-{trial.id}", parent=out.run_id,
                                    study_id=out.study_id, trial_number=trial.id, params=params)

    def _finish_trial(self, run: Run | None, trial: Trial, result: Result) -> None:
        if run is None:
            return
        metrics = dict(result.metrics, cost=result.cost)
        if result.ok:
            metrics["loss"] = result.loss
        tags = {"error": result.error} if result.error else {}
        run.end(trial.state.value, metrics=metrics, tags=tags)
