"""Run trials in local worker processes that a crash, hang or memory blow-up cannot take down.

``concurrent.futures.ProcessPoolExecutor`` is not used: one dead worker breaks its whole
pool. Here each worker slot owns one process and one pipe, so a worker that dies or has
to be killed is replaced alone, and the trial it ran is recorded as failed with the
reason. Workers are forked from multiprocessing's fork server, never from the parent
(which may hold threads, locks and an OpenMP pool): the server imports cairn and
scikit-learn once, when the executor is made, so a worker, first or replacement, starts
in milliseconds instead of paying those imports itself. Workers load each objective once
and evaluate trials under :func:`evaluate_trial` with the time and memory limits. The parent enforces the time limit too, because a trial
stuck inside compiled code never sees the worker's ``SIGALRM``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import pickle
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from cairn.errors import UserError
from cairn.execute.base import Executor, Objective, worker_count
from cairn.execute.limits import GRACE, check_memory_limit
from cairn.execute.serial import describe_error, evaluate_trial
from cairn.trial import Result, Trial

#: What the fork server imports before it forks any worker: what unpickling a CASH
#: objective and running its trials needs.
PRELOAD = ["cairn.execute.processes", "cairn.evaluate.objective"]


def worker_context() -> multiprocessing.context.ForkServerContext:
    """The fork-server context, its server started now (it imports :data:`PRELOAD` while
    the caller goes on), so workers are ready to fork by the first trial."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # ignored if the server already runs: it has them
    multiprocessing.forkserver.ensure_running()
    return context


@dataclass
class _Job:
    objective: Objective
    trial: Trial
    limit: float | None
    started: float | None = None  # time.monotonic() when the worker began the trial


class ProcessExecutor(Executor):
    """``n_workers`` local processes, each evaluating one trial at a time.

    ``memory_limit`` is the number of bytes a trial may add to its worker's address
    space (see :func:`cairn.execute.limits.memory_limit`); ``grace`` is how long past
    its time limit a trial may take before its worker is killed and replaced.
    """

    def __init__(self, n_workers: int | None = None, memory_limit: int | None = None,
                 grace: float = GRACE):
        check_memory_limit(memory_limit)
        self.n_workers, self.memory_limit, self.grace = worker_count(n_workers), memory_limit, grace
        self._context = worker_context()
        self._workers: list[_Worker] = []
        self._queue: deque[_Job] = deque()
        self._pickled: tuple[Objective | None, bytes] = (None, b"")

    @property
    def pending(self) -> int:
        return len(self._queue) + sum(worker.job is not None for worker in self._workers)

    def submit(self, objective: Objective, trial: Trial, limit: float | None = None) -> None:
        self._pickle(objective)  # fail here, in the caller, if it cannot go to a worker
        self._queue.append(_Job(objective, trial, limit))
        self._dispatch()

    def wait(self, timeout: float | None = None) -> list[tuple[Trial, Result]]:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            busy = [worker for worker in self._workers if worker.job is not None]
            if not busy:
                return []
            finished = self._collect(busy, end)
            self._dispatch()
            if finished or (end is not None and time.monotonic() >= end):
                return finished

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
        self._queue.clear()

    def _collect(self, busy: list[_Worker], end: float | None) -> list[tuple[Trial, Result]]:
        """Sleep until a worker reports, dies, runs over its time or ``end`` comes."""
        wake = [t for t in [end, *(w.deadline(self.grace) for w in busy)] if t is not None]
        timeout = max(min(wake) - time.monotonic(), 0) if wake else None
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        finished = []
        for worker in busy:
            job = worker.job
            if worker.conn in ready or worker.process.sentinel in ready:
                result = worker.receive()
            else:
                result = worker.kill_if_overdue(self.grace)
            if result is not None:
                finished.append((job.trial, result))
        self._workers = [worker for worker in self._workers if worker.alive]
        return finished

    def _dispatch(self) -> None:
        """Give queued trials to free workers, starting (or replacing) workers as needed.

        New processes are all started before any is sent a trial, so that they start
        up side by side rather than one after another.
        """
        for worker in self._workers:
            if worker.job is None and not worker.process.is_alive():  # died while idle
                worker.stop()
        self._workers = [worker for worker in self._workers if worker.alive]
        free = [worker for worker in self._workers if worker.job is None]
        missing = max(min(len(self._queue) - len(free), self.n_workers - len(self._workers)), 0)
        started = [_Worker(self._context, self.memory_limit) for _ in range(missing)]
        self._workers += started
        for worker in (free + started)[:len(self._queue)]:
            job = self._queue.popleft()
            worker.start(job, None if worker.objective is job.objective else self._pickle(job.objective))

    def _pickle(self, objective: Objective) -> bytes:
        """The objective's pickle, made once however many workers load it."""
        if self._pickled[0] is not objective:
            try:
                self._pickled = (objective, pickle.dumps(objective, protocol=pickle.HIGHEST_PROTOCOL))
            except Exception as exc:  # noqa: BLE001 - any pickling failure means the same to the user
                raise UserError(f"the objective cannot be sent to worker processes "
                                f"(define it at module level): {describe_error(exc)}") from None
        return self._pickled[1]


class _Worker:
    """The parent's end of one worker process and the trial it is running."""

    def __init__(self, context: multiprocessing.context.ForkServerContext, memory_limit: int | None):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, memory_limit),
                                       name="cairn-worker", daemon=True)
        self.process.start()
        child.close()  # so that the parent sees EOF when the worker dies
        self.objective: Objective | None = None  # the objective the process has loaded
        self.job: _Job | None = None
        self.alive = True

    def start(self, job: _Job, payload: bytes | None) -> None:
        self.job, self.objective = job, job.objective
        try:
            self.conn.send((payload, job.trial, job.limit))
        except OSError:  # died just now: its sentinel reports it to wait()
            pass

    def deadline(self, grace: float) -> float | None:
        job = self.job
        if job is None or job.started is None or job.limit is None:
            return None
        return job.started + job.limit + grace

    def receive(self) -> Result | None:
        """Read what the worker sent; the trial's result, or its failure if the worker died."""
        try:
            while self.conn.poll():
                kind, result = self.conn.recv()
                if kind == "started":
                    self.job.started = time.monotonic()
                else:
                    self.job = None
                    return result
        except (EOFError, OSError):  # the worker is gone or going
            self.process.join(5)
        if self.process.is_alive():
            return None
        return self._fail(f"WorkerDied: {_death(self.process.exitcode)}"
                          + ("" if self.job.started else _BEFORE_START))

    def kill_if_overdue(self, grace: float) -> Result | None:
        deadline = self.deadline(grace)
        if deadline is None or time.monotonic() < deadline:
            return None
        return self._fail(f"TrialTimeout: killed after {time.monotonic() - self.job.started:.1f} s, "
                          f"over the time limit of {self.job.limit:g} s")

    def _fail(self, reason: str) -> Result:
        cost = time.monotonic() - self.job.started if self.job.started else 0.0
        self.stop()
        self.job = None
        return Result.failure(reason, cost)

    def stop(self) -> None:
        """End the process: politely when idle (EOF on its pipe), by SIGKILL otherwise."""
        self.alive = False
        self.conn.close()
        if self.job is None:
            self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


#: A worker that dies before its first trial most often ran the user's script on import:
#: workers import the ``__main__`` module, as with multiprocessing's spawn.
_BEFORE_START = (" before the trial started (a script that starts a study with worker processes must "
                 "do so under `if __name__ == \"__main__\":`, as each worker imports it)")


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"worker process killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"worker process killed by signal {-exitcode}"
    return f"worker process exited with code {exitcode}"


def _serve(conn: Connection, memory_limit: int | None) -> None:
    """A worker's loop: evaluate the trials that arrive until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    objective: Objective | None = None
    while True:
        try:
            payload, trial, limit = conn.recv()
        except EOFError:
            return
        if payload is not None:
            objective = _load(payload)
        conn.send(("started", None))
        result = evaluate_trial(objective, trial, limit, memory_limit)
        try:
            conn.send(("result", result))
        except Exception as exc:  # noqa: BLE001 - e.g. metrics that do not pickle
            conn.send(("result", Result.failure(
                f"the trial's result cannot be sent back: {describe_error(exc)}", result.cost)))


def _load(payload: bytes) -> Objective:
    """Unpickle the objective, or stand in one that fails each trial with the reason."""
    try:
        return pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - reported per trial, like any failure
        reason = f"the worker cannot load the objective: {describe_error(exc)}"

        def unavailable(config: object, budget: object) -> Result:
            raise RuntimeError(reason)

        return unavailable
