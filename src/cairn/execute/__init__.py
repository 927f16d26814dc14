"""Executors run objectives for the Study: serially now; processes and Dask later."""

from cairn.execute.limits import TrialTimeout, time_limit
from cairn.execute.serial import SerialExecutor, describe_error, evaluate_trial

__all__ = ["SerialExecutor", "TrialTimeout", "describe_error", "evaluate_trial", "time_limit"]
