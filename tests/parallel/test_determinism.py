"""With a trial count and a seed, the worker count changes when trials run, not which."""

from __future__ import annotations

import pytest
from resume_workload import study

from cairn.execute import ProcessExecutor, SerialExecutor
from cairn.track import Store


def _leaderboard(result) -> list[tuple]:
    ok = sorted(result.trials, key=lambda t: (t.loss, t.id))
    return [(t.id, tuple(sorted(t.config.items())), t.loss) for t in ok]


@pytest.mark.parametrize("strategy", ["random", "grid"])
def test_same_configs_and_leaderboard_with_1_2_or_4_workers(tmp_path, strategy) -> None:
    boards = []
    for workers in (1, 2, 4):
        executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
        result = study(Store(f"sqlite:///{tmp_path / f'w{workers}.db'}"), strategy, 12, executor=executor).optimize()
        boards.append(_leaderboard(result))
    assert boards[0] == boards[1] == boards[2]
    assert len(boards[0]) == 12
