"""A reinforcement-learning controller (Zoph & Le, ICLR 2017, "Neural architecture search
with reinforcement learning"), as an ask/tell strategy.

An LSTM policy (:class:`~cairn.nas.strategies.policy.LSTMPolicy`) emits one categorical
decision per parameter of the space, in the space's order: for a cell, each node's
inputs and operations. A numeric parameter is a choice among ``n_bins`` grid values,
and a parameter whose condition fails is not decided at all. The reward of a network
is its validation accuracy, ``1 - loss`` (any other loss: its negative, the same up to
a constant). Every told result is one REINFORCE step (batch size one, as the search
runs a few hundred trials, not the paper's thousands), against a moving-average
baseline, with the advantage divided by the spread of the rewards seen so far (so the
learning rate means the same whatever the loss's scale) and an entropy bonus that
keeps the policy from collapsing on an early lucky network.

A sampled network that was proposed before is not evaluated again: the policy samples
again (also learning from a repeat's recorded reward made no difference on the tests'
synthetic table and tripled the time). All randomness comes from the seeded generator
in ask/tell order.
"""

from __future__ import annotations

import numpy as np

from cairn.errors import UserError
from cairn.nas.strategies.common import Proposals
from cairn.nas.strategies.policy import Decision, LSTMPolicy, State
from cairn.optim.base import Optimizer
from cairn.space import Categorical, Config, Param, Space, Value
from cairn.trial import Trial


class ReinforceController(Optimizer):
    """REINFORCE on an LSTM controller; options are the policy's size and training rates."""

    name = "nas-rl"

    def __init__(self, space: Space, seed: int | None = 0, hidden_size: int = 32, learning_rate: float = 0.02,
                 entropy_weight: float = 0.01, baseline_decay: float = 0.9, n_bins: int = 10):
        super().__init__(space, seed)
        if hidden_size < 1 or learning_rate <= 0 or entropy_weight < 0 or n_bins < 2:
            raise UserError("the RL controller needs hidden_size >= 1, learning_rate > 0, entropy_weight >= 0 "
                            f"and n_bins >= 2, got {hidden_size}, {learning_rate}, {entropy_weight} and {n_bins}")
        if not 0 <= baseline_decay < 1:
            raise UserError(f"the baseline decay must lie in [0, 1), got {baseline_decay}")
        self.entropy_weight, self.baseline_decay = entropy_weight, baseline_decay
        self._choices: list[tuple[Param, list[Value]]] = [
            (p, list(p.choices) if isinstance(p, Categorical) else p.grid(n_bins)) for p in space.params if p.n_dims]
        self._step_of = {p.name: t for t, (p, _) in enumerate(self._choices)}
        self.policy = LSTMPolicy([len(c) for _, c in self._choices], self.rng, hidden_size, learning_rate)
        self.baseline: float | None = None
        self._rewards: list[float] = []
        self._proposals = Proposals(space)

    def _propose(self) -> Config:
        return self._proposals.novel(self._sample, self.rng)

    def _sample(self) -> Config:
        """One config drawn from the policy."""
        values: dict = {}
        state = self.policy.initial()
        for p in self.space.params:
            if not self.space.is_active(p.name, values):
                continue
            if not p.n_dims:
                values[p.name] = p.default
                continue
            t = self._step_of[p.name]
            choices = self._choices[t][1]
            probs, h, c = self.policy.step(state, t)
            a = int(self.rng.choice(len(choices), p=probs))
            values[p.name] = choices[a]
            state = State(h, c, (t, a))
        return Config(values)

    def _observe(self, trial: Trial) -> None:
        if trial.result is not None and trial.result.ok:
            self._learn(trial.config, -trial.loss)

    def _learn(self, config: Config, reward: float) -> None:
        """One REINFORCE step on ``config``, then the baseline moves towards ``reward``."""
        self._rewards.append(reward)
        spread = float(np.std(self._rewards))
        if self.baseline is not None and spread > 0:
            self.policy.update(self._decisions(config), (reward - self.baseline) / spread, self.entropy_weight)
        self.baseline = reward if self.baseline is None else (
            self.baseline_decay * self.baseline + (1 - self.baseline_decay) * reward)

    def _decisions(self, config: Config) -> list[Decision]:
        """The decisions that produce ``config`` (numbers: the nearest grid value)."""
        out = []
        for t, (p, choices) in enumerate(self._choices):
            if p.name in config:
                if isinstance(p, Categorical):
                    a = p.index(config[p.name])
                else:
                    a = int(np.argmin([abs(p.to_unit(v) - p.to_unit(config[p.name])) for v in choices]))
                out.append((t, a))
        return out


__all__ = ["ReinforceController"]
