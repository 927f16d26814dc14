"""Run trials on a Dask cluster: one already running, or a ``LocalCluster`` started here.

Each trial is pinned to a worker that runs no other trial of ours. Left to itself, the
scheduler sends tasks ahead to busy workers, and a trial that crashes its worker would
take the trials queued there with it; pinned, a crash or a kill ends one trial only.
Dask's nannies restart a worker that crashes, exits or outgrows its memory. Its trial
comes back as ``KilledWorker``, or, where the scheduler would retry it
(``distributed.scheduler.allowed-failures``), waits for a worker that is gone; either
way it is recorded as failed, and the fresh worker takes the next trial.

Trials run on worker threads, where no ``SIGALRM`` can interrupt them, so the time
limit is enforced from here: the worker of a trial still running ``grace`` seconds past
its limit is killed, and its nanny starts a fresh one. Cancelling the task alone would
not do: a cancelled task keeps its worker thread busy until it returns, which for a hung
trial is never, while the scheduler takes the worker for free.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
import uuid
from collections import deque
from dataclasses import dataclass

import distributed
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.scheduler import KilledWorker

from cairn.errors import UserError
from cairn.execute.base import Executor, Objective, worker_count
from cairn.execute.limits import GRACE, check_memory_limit
from cairn.execute.serial import describe_error, evaluate_trial
from cairn.trial import Result, Trial

POLL = 0.5
"""Seconds between looks at the cluster while waiting (for workers that die or appear)."""

WORKER_DIED = "WorkerDied: the Dask worker running this trial died (a crash, os._exit or its memory limit)"


@dataclass
class _Job:
    objective: Objective
    trial: Trial
    limit: float | None
    future: distributed.Future | None = None
    started: float = 0.0  # time.monotonic() when it was sent to its worker


class DaskExecutor(Executor):
    """Trials as Dask tasks, one per worker at a time.

    With ``scheduler`` (``tcp://host:port``) it connects to a running cluster and keeps
    up to ``n_workers`` trials in flight (default: the cluster's worker count); without,
    it starts a ``LocalCluster`` of ``n_workers`` single-threaded worker processes.
    ``memory_limit`` is the number of bytes a trial may add to its worker's address
    space, as for :class:`cairn.execute.processes.ProcessExecutor`. The memory limit,
    and the kill of a trial that overruns its time, apply to the whole worker process,
    so the workers should run nothing but cairn's trials.
    """

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 memory_limit: int | None = None, *, grace: float = GRACE,
                 connect_timeout: float = 3.0):
        check_memory_limit(memory_limit)
        self.memory_limit, self.grace = memory_limit, grace
        self._queue: deque[_Job] = deque()
        self._running: dict[str, _Job] = {}  # by worker address
        self._objectives: list[tuple[Objective, str]] = []
        self._cluster: distributed.LocalCluster | None = None
        if scheduler is None:
            self._cluster = distributed.LocalCluster(
                n_workers=worker_count(n_workers), threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR)
            self._client = distributed.Client(self._cluster, set_as_default=False)
        else:
            self._client = _connect(scheduler, connect_timeout)
        self.n_workers = len(self._client.nthreads()) if n_workers is None else worker_count(n_workers)

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._running)

    def submit(self, objective: Objective, trial: Trial, limit: float | None = None) -> None:
        self._plugin(objective)  # fail here, in the caller, if it cannot go to the workers
        self._queue.append(_Job(objective, trial, limit))
        self._dispatch()

    def wait(self, timeout: float | None = None) -> list[tuple[Trial, Result]]:
        end = None if timeout is None else time.monotonic() + timeout
        while self.pending:
            finished = self._collect()
            self._dispatch()
            now = time.monotonic()
            if finished or (end is not None and now >= end):
                return finished
            deadlines = [job.started + job.limit + self.grace
                         for job in self._running.values() if job.limit is not None]
            self._sleep(min([now + POLL, *deadlines, *([end] if end is not None else [])]) - now)
        return []

    def close(self) -> None:
        """Drop pending trials, take the objectives off the workers, and disconnect."""
        client = self._client
        if self._cluster is None and client.status == "running":
            for _, name in self._objectives:
                client.unregister_worker_plugin(name)
        client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _sleep(self, seconds: float) -> None:
        """Until a running trial finishes, or ``seconds`` pass."""
        futures = [job.future for job in self._running.values()]
        if not futures:
            time.sleep(max(seconds, 0))
            return
        try:
            with self._client.as_current():  # distributed.wait looks for its client there
                distributed.wait(futures, timeout=max(seconds, 0.01), return_when="FIRST_COMPLETED")
        except asyncio.TimeoutError:
            pass

    def _collect(self) -> list[tuple[Trial, Result]]:
        """Results of finished trials, and failures of those whose worker died or overran."""
        live = set(self._client.nthreads())
        finished = []
        now = time.monotonic()
        for worker, job in list(self._running.items()):
            if job.future.done():
                result = self._result(job)
            elif worker not in live:
                result = Result.failure(WORKER_DIED, now - job.started)
            elif job.limit is not None and now > job.started + job.limit + self.grace:
                result = Result.failure(f"TrialTimeout: stopped after {now - job.started:.1f} s, over the time "
                                        f"limit of {job.limit:g} s; {self._kill(worker)}", now - job.started)
            else:
                continue
            del self._running[worker]
            job.future.release()
            finished.append((job.trial, result))
        return finished

    def _dispatch(self) -> None:
        """Send queued trials to workers running none, each pinned to its worker."""
        if not self._queue:
            return
        free = set(self._client.nthreads()) - set(self._running)
        while self._queue and free and len(self._running) < self.n_workers:
            job, worker = self._queue.popleft(), free.pop()
            job.future = self._client.submit(
                _evaluate_on_worker, self._plugin(job.objective), job.trial, job.limit, self.memory_limit,
                key=f"cairn-trial-{job.trial.id}-{uuid.uuid4().hex[:12]}", workers=[worker],
                allow_other_workers=False)
            job.started = time.monotonic()
            self._running[worker] = job

    def _result(self, job: _Job) -> Result:
        try:
            return job.future.result()
        except KilledWorker:
            return Result.failure(WORKER_DIED, time.monotonic() - job.started)
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler went away
            return Result.failure(describe_error(exc), time.monotonic() - job.started)

    def _kill(self, worker: str) -> str:
        """Have ``worker``'s nanny kill it, and wait until the scheduler has let it go."""
        try:
            self._client.run(_kill_worker_process, workers=[worker], nanny=True)
        except Exception:  # noqa: BLE001 - e.g. a worker without a nanny
            return "its worker could not be restarted and stays busy until the trial returns"
        end = time.monotonic() + 10
        while time.monotonic() < end and worker in self._client.nthreads():
            time.sleep(0.05)
        return "its worker was restarted"

    def _plugin(self, objective: Objective) -> str:
        """Send ``objective`` to every worker once (and to workers that join or restart)."""
        for known, name in self._objectives:
            if known is objective:
                return name
        name = f"cairn-objective-{uuid.uuid4().hex[:12]}"
        try:
            self._client.register_plugin(_ObjectivePlugin(name, objective))
        except Exception as exc:  # noqa: BLE001 - any failure here means the same to the user
            raise UserError(f"the objective cannot be sent to the Dask workers: {describe_error(exc)}") from None
        self._objectives.append((objective, name))
        return name


class _ObjectivePlugin(WorkerPlugin):
    """Carries an objective to each worker, where the scheduler re-sends it after restarts."""

    def __init__(self, name: str, objective: Objective):
        self.name, self.objective = name, objective


def _evaluate_on_worker(plugin: str, trial: Trial, limit: float | None, memory: int | None) -> Result:
    objective = distributed.get_worker().plugins[plugin].objective
    return evaluate_trial(objective, trial, limit, memory)


def _kill_worker_process(dask_worker: distributed.Nanny) -> None:
    """Run in a nanny: SIGKILL its worker, whose stuck thread would ignore a polite close."""
    os.kill(dask_worker.pid, signal.SIGKILL)


def _connect(scheduler: str, timeout: float) -> distributed.Client:
    try:
        client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {describe_error(exc)}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except asyncio.TimeoutError:
        client.close()
        raise UserError(f"the Dask scheduler at {scheduler} has no workers") from None
    return client
