"""The serial executor's asynchronous interface, its memory limit, and building executors by name."""

from __future__ import annotations

import pytest
from workload import Behaviour, drain, make_trial

from cairn.errors import UserError
from cairn.execute import ProcessExecutor, SerialExecutor, make_executor


def test_serial_evaluates_one_submitted_trial_per_wait_in_order():
    executor = SerialExecutor()
    for i in (2, 1):
        executor.submit(Behaviour(), make_trial(i))
    assert (executor.pending, executor.idle) == (2, 0)
    assert [(t.id, r.loss) for t, r in executor.wait()] == [(2, 4)]
    assert [(t.id, r.loss) for t, r in executor.wait()] == [(1, 1)]
    assert (executor.pending, executor.idle, executor.wait()) == (0, 1, [])


def test_serial_memory_limit_fails_the_trial_and_is_lifted_afterwards():
    executor = SerialExecutor(memory_limit=300 * 10**6)
    executor.submit(Behaviour(), make_trial(0, "allocate"))
    assert drain(executor)[0].error == "MemoryError: exceeded the memory limit of 300 MB"
    assert len(bytes(10**9)) == 10**9  # this process may allocate again


@pytest.mark.parametrize(("name", "workers", "kind"), [
    ("serial", None, SerialExecutor), ("serial", 1, SerialExecutor), ("processes", 3, ProcessExecutor),
])
def test_make_executor_builds_by_name(name, workers, kind):
    with make_executor(name, workers) as executor:
        assert isinstance(executor, kind)
        assert executor.n_workers == (workers or 1)


@pytest.mark.parametrize(("args", "message"), [
    (("threads", 2), "unknown executor 'threads'; choose one of serial, processes, dask"),
    (("processes", 0), "the number of workers must be a positive integer, got 0"),
    (("serial", 4), "the serial executor has one worker"),
    (("processes", 2, "tcp://127.0.0.1:8786"), "a Dask scheduler address needs the dask executor"),
    (("processes", 2, None, 0.5), "the memory limit must be a positive number of bytes, got 0.5"),
])
def test_make_executor_refuses_bad_settings(args, message):
    with pytest.raises(UserError, match=message):
        make_executor(*args)
