"""Executors evaluate trials for the Study: in this process, in worker processes, or on Dask.

All share the asynchronous interface of :class:`Executor`; ``DaskExecutor`` lives in
``cairn.execute.dask`` so that ``distributed`` is imported only when it is used.
"""

from cairn.execute.base import Executor, Objective
from cairn.execute.factory import EXECUTORS, make_executor
from cairn.execute.limits import TrialTimeout, time_limit
from cairn.execute.processes import ProcessExecutor
from cairn.execute.serial import SerialExecutor, describe_error, evaluate_trial

__all__ = [
    "EXECUTORS",
    "Executor",
    "Objective",
    "ProcessExecutor",
    "SerialExecutor",
    "TrialTimeout",
    "describe_error",
    "evaluate_trial",
    "make_executor",
    "time_limit",
]
