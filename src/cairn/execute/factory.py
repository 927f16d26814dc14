"""Build an executor from the names the CLI and the Python API use."""

from __future__ import annotations

from cairn.errors import UserError
from cairn.execute.base import Executor, worker_count
from cairn.execute.processes import ProcessExecutor
from cairn.execute.serial import SerialExecutor, describe_error

EXECUTORS = ("serial", "processes", "dask")


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None,
                  memory_limit: int | None = None) -> Executor:
    """``serial``, ``processes`` or ``dask``; ``workers=None`` means one per CPU.

    ``scheduler`` (``tcp://host:port``) points the ``dask`` executor at a running
    cluster, whose thread count is then the default number of workers; without it, a
    local cluster is started. ``memory_limit`` is in bytes per trial.
    """
    if name not in EXECUTORS:
        raise UserError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if scheduler is not None and name != "dask":
        raise UserError(f"a Dask scheduler address needs the dask executor, not {name!r}")
    if workers is not None:
        worker_count(workers)
    if name == "serial":
        if workers not in (None, 1):
            raise UserError(f"the serial executor has one worker; use processes or dask for {workers}")
        return SerialExecutor(memory_limit)
    if name == "processes":
        return ProcessExecutor(workers, memory_limit)
    try:
        from cairn.execute.dask import DaskExecutor
    except ImportError as exc:
        raise UserError(f"the dask executor needs the 'distributed' package "
                        f"(pip install 'cairn-ml[dask]'): {describe_error(exc)}") from None
    return DaskExecutor(scheduler, workers, memory_limit)
