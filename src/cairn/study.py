"""The Study: the one search loop every subsystem shares.

ask -> evaluate -> tell -> record, until a trial count, a wall-clock budget or the
strategy runs out. The optimiser decides, the executor evaluates, the Store records;
the Study only sequences them and keeps the time budget. Each trial is a child run
written through the same :class:`~cairn.track.Run` handle a training loop uses, with the
trial's lineage trace as an artifact when the objective traced its work.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import SearchExhausted, UserError
from cairn.execute import Executor, SerialExecutor
from cairn.execute.limits import GRACE
from cairn.lineage.runs import save_trace
from cairn.optim.base import Optimizer
from cairn.replay import (
    ASKED_AFTER,
    LEASE_INTERVALS,
    OBJECTIVE,
    TOLD_AS,
    Replay,
    check_resumable,
    recorded_trials,
    replay,
)
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
    every trial. ``keep(result_so_far)`` is the part of it that running trials must
    leave too (the work the search cannot end without): a result can raise it while
    trials run on limits cut to an older, smaller reserve, and a trial still running
    when only ``keep`` is left is stopped. ``executor`` (default serial) is closed when the search ends;
    ``resume`` is the id of a killed study in ``store`` to continue (see
    :mod:`cairn.replay`), with the same strategy, space and seed in ``optimizer``.
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
        keep: Callable[[StudyResult], float] | None = None,
        executor: Executor | None = None,
        resume: int | None = None,
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
        self.reserve, self.keep = reserve, keep
        self.executor = executor if executor is not None else SerialExecutor()
        if resume is not None and store is None:
            raise UserError("resuming a study needs the store it was recorded in")
        self.resume = resume

    def optimize(self) -> StudyResult:
        """Run the search; with ``resume``, first replay the study's recorded trials."""
        study_id = run_id = None
        replayed = Replay([], [])
        if self.store is not None:
            self.store.expire_runs(lease=LEASE_INTERVALS * self.store.heartbeat_interval)
            if self.resume is None:
                study_id, run_id = self.store.create_study(
                    self.experiment, self.name, self.optimizer.name, self.optimizer.seed,
                    self.optimizer.space.to_dict(), self.settings)
            else:
                check_resumable(self.store, self.resume)
                study_id, run_id = self.resume, self.store.reopen_study(self.resume)
                replayed = replay(self.optimizer, recorded_trials(self.store, self.resume))
        out = StudyResult(study_id, run_id, list(replayed.done))
        start = time.perf_counter()
        status = "failed"
        try:
            with self.executor:
                self._loop(out, start, list(replayed.requeue))
            status = "complete"
        except KeyboardInterrupt:
            status = "killed"
            raise
        finally:
            out.elapsed = time.perf_counter() - start
            if self.store is not None and study_id is not None:
                self.store.end_study(study_id, status)
        return out

    def _loop(self, out: StudyResult, start: float, requeue: list[Trial]) -> None:
        """Keep every worker busy: ask for as many trials as there are idle workers,
        record each result as it arrives, stop on the trial count, the clock or an
        exhausted strategy. ``requeue``: trials asked before a crash, run first."""
        best = min((t.loss for t in out.trials if t.result is not None and t.result.ok), default=math.inf)
        runs: dict[int, Run | None] = {}
        asked, exhausted, told = len(out.trials), False, len(out.trials)
        while True:
            while self.executor.idle and not exhausted and (self.n_trials is None or asked < self.n_trials):
                limit = self._limit(start, out)
                if limit is not None and limit <= 0:
                    exhausted = True
                    break
                try:
                    trial = requeue.pop(0) if requeue else self.optimizer.ask()
                except SearchExhausted:
                    exhausted = True
                    break
                runs[trial.id] = self._start_trial(out, trial, told)
                self.executor.submit(self.objective, trial, limit)
                asked += 1
            if not self.executor.pending:
                return
            finished = self.executor.wait(self._time_left(start, out))
            if not finished:  # out of time with trials still running: they are dropped
                for run in runs.values():
                    if run is not None:
                        run.end("killed", tags={"error": "stopped: the study's time budget ran out"})
                return
            for trial, result in finished:
                self.optimizer.tell(trial, result)
                self._finish_trial(runs.pop(trial.id), trial, result, told)
                told += 1
                out.trials.append(trial)
                if result.ok:
                    best = min(best, result.loss)
                progress = Progress(len(out.trials), self.n_trials, self.time_budget,
                                    time.perf_counter() - start, best, trial)
                for callback in self.callbacks:
                    callback(progress)

    def _time_left(self, start: float, out: StudyResult) -> float | None:
        """Seconds until the budget is spent, plus the grace a trial gets past its limit;
        with ``keep``, until only that is left, without grace."""
        if self.time_budget is None:
            return None
        left = self.time_budget - (time.perf_counter() - start)
        if self.keep is not None:
            return max(left - self.keep(out), 0.0)
        return max(left, 0.0) + GRACE

    def _limit(self, start: float, out: StudyResult) -> float | None:
        remaining = None
        if self.time_budget is not None:
            remaining = self.time_budget - (time.perf_counter() - start)
            if self.reserve is not None:
                remaining -= self.reserve(out)
        limits = [x for x in (remaining, self.trial_time_limit) if x is not None]
        return min(limits) if limits else None

    def _start_trial(self, out: StudyResult, trial: Trial, told: int) -> Run | None:
        if self.store is None:
            return None
        params = dict(trial.config)
        if trial.budget is not None:
            params["budget"] = trial.budget
        return self.store.start_run(self.experiment, name=f"trial-{trial.id}", parent=out.run_id,
                                    study_id=out.study_id, trial_number=trial.id, params=params,
                                    tags={ASKED_AFTER: str(told)})

    def _finish_trial(self, run: Run | None, trial: Trial, result: Result, told: int) -> None:
        if run is None:
            return
        metrics = dict(result.metrics, cost=result.cost)
        metrics.update({f"{OBJECTIVE}{i}": v for i, v in enumerate(result.objectives)})
        if result.ok:
            metrics["loss"] = result.loss
        tags = {TOLD_AS: str(told), **({"error": result.error} if result.error else {})}
        if result.lineage is not None:
            save_trace(run, result.lineage)
        run.end(trial.state.value, metrics=metrics, tags=tags)
