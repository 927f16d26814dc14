"""The process executor with real worker processes: parallel trials and every way a trial can fail."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from workload import Behaviour, drain, fail_beside_others, make_trial

from cairn.errors import SearchExhausted, UserError
from cairn.execute import ProcessExecutor
from cairn.optim.base import Optimizer
from cairn.space import Config, Float, Space
from cairn.study import Study

MEMORY_LIMIT = 300 * 10**6


@pytest.fixture(scope="module")
def executor():
    """Two workers shared by the fault tests: each test must leave them usable."""
    with ProcessExecutor(2, memory_limit=MEMORY_LIMIT, grace=0.5) as executor:
        yield executor


def test_runs_trials_in_parallel_and_loads_the_objective_once_per_worker():
    objective = Behaviour()
    with ProcessExecutor(2) as executor:
        assert executor.idle == 2
        for i in range(6):
            executor.submit(objective, make_trial(i, "sleep", seconds=0.1))
        assert (executor.pending, executor.idle) == (6, 0)
        results = drain(executor)
        assert executor.idle == 2
    assert {i: r.loss for i, r in results.items()} == {i: i**2 for i in range(6)}
    assert len({r.metrics["pid"] for r in results.values()}) == 2
    assert {r.metrics["loads"] for r in results.values()} == {1}


def test_wait_returns_nothing_when_its_timeout_passes_first():
    with ProcessExecutor(1) as executor:
        assert executor.wait(timeout=5) == []  # nothing pending: no waiting at all
        executor.submit(Behaviour(), make_trial(3, "sleep", seconds=1))
        start = time.monotonic()
        assert executor.wait(timeout=0.2) == []
        assert time.monotonic() - start < 1
        assert drain(executor)[3].loss == 9


@pytest.mark.parametrize(("do", "limit", "reason"), [
    ("sleep", 1.0, r"TrialTimeout: exceeded the time limit of 1 s"),
    ("hang", 1.0, r"TrialTimeout: killed after \d+\.\d s, over the time limit of 1 s"),
    ("allocate", None, r"MemoryError: exceeded the memory limit of 300 MB"),
    ("segfault", None, r"WorkerDied: worker process killed by SIGSEGV"),
    ("exit", None, r"WorkerDied: worker process exited with code 3"),
    ("raise", None, r"ValueError: no good: x=0"),
])
def test_a_failing_trial_is_recorded_and_the_others_go_on(executor, do, limit, reason):
    failed, later = fail_beside_others(executor, do, limit)
    assert re.fullmatch(reason, failed.error), failed.error
    assert later[2].metrics["pid"] != later[3].metrics["pid"]  # both slots work again


def test_an_objective_that_cannot_be_pickled_is_refused_at_submit():
    with ProcessExecutor(1) as executor, pytest.raises(UserError, match="cannot be sent to worker processes"):
        executor.submit(lambda config, budget: 0.0, make_trial(0))


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_the_worker_count_must_be_a_positive_integer(workers):
    with pytest.raises(UserError, match="number of workers"):
        ProcessExecutor(workers)


def test_a_script_that_starts_workers_unguarded_is_told_to_guard_them(tmp_path):
    """Workers import the main script: one that starts a study at its top level makes each
    worker die at once, and the recorded reason says how to fix the script."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from cairn.execute import ProcessExecutor\n"
        "from cairn.optim import make_optimizer\n"
        "from cairn.space import Float, Space\n"
        "from cairn.study import Study\n"
        "def objective(config, budget=None):\n"
        "    return config['x']\n"
        "result = Study(make_optimizer('random', Space([Float('x', 0, 1)]), seed=0), objective, n_trials=2,\n"
        "               executor=ProcessExecutor(1)).optimize()\n"
        "print(result.trials[0].result.error)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert "WorkerDied" in done.stdout and 'if __name__ == "__main__":' in done.stdout, done.stdout + done.stderr


class _QuickThenSlow(Optimizer):
    """Trial 0 sleeps 0.2 s, trial 1 20 s; then the strategy is exhausted."""

    name = "quick-then-slow"

    def _propose(self) -> Config:
        if self._next_id >= 2:
            raise SearchExhausted
        return Config(do="sleep", x=self._next_id, seconds=(0.2, 20.0)[self._next_id])


def test_a_running_trial_is_stopped_when_only_what_the_study_must_keep_is_left():
    """Both trials start with the whole 30 s budget as their limit; once trial 0's result
    raises what must be kept to 29 s, the slow one is stopped at about 1 s, not 20."""
    with ProcessExecutor(2) as executor:
        study = Study(_QuickThenSlow(Space([Float("x", 0, 1)])), Behaviour(), time_budget=30.0, executor=executor,
                      keep=lambda result: 29.0 if result.trials else 0.0)
        start = time.perf_counter()
        out = study.optimize()
    assert time.perf_counter() - start < 5
    assert [t.id for t in out.trials] == [0]
