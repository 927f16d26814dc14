"""Recursive random search (Ye & Kalyanaraman, SIGMETRICS 2003).

Random sampling is efficient early (a few dozen samples almost surely hit the best 10 %
of the space) and inefficient late. RRS keeps it in its efficient phase by restarting it
in ever smaller regions around promising points, then going back to global sampling.
"""

from __future__ import annotations

import math

import numpy as np

from cairn.errors import UserError
from cairn.optim.base import Optimizer
from cairn.space import Categorical, Config, Space
from cairn.trial import Trial


def confidence_samples(confidence: float, percentile: float) -> int:
    """Samples needed so that, with probability ``confidence``, one of them lies in the
    best ``percentile`` of the space: ``ceil(ln(1 - confidence) / ln(1 - percentile))``."""
    ratio = math.log(1 - confidence) / math.log(1 - percentile)
    return max(1, math.ceil(ratio - 1e-9))  # the tolerance keeps exact ratios from rounding up


class RecursiveRandomSearch(Optimizer):
    """RRS on the unit hypercube of ``space.encode``.

    * **Exploration** samples the whole space. The first ``n`` samples (``n`` from
      confidence ``p`` and percentile ``r``) pick the first centre; afterwards any sample
      below the threshold ``y_r`` (the mean of the best loss of each batch of ``n``)
      starts an exploitation there.
    * **Exploitation** samples a box of side ``rho`` (a fraction of every unit
      dimension) around the centre, clipped to the space. It starts with volume ``r``,
      side ``r ** (1 / d)``, the size of the region the centre is likely best in. A better
      sample *realigns* the box on it; ``l`` failures in a row (``l`` from confidence
      ``q`` and expected quality ``v``) *shrink* its side by ``c``. Once the side is
      below ``st`` exploitation ends and exploration resumes.
    * Shrinking and stopping go by side, not by volume as in the paper: in 10-D a box
      of volume ``st = 0.001`` still has side 0.5, far too coarse to end a local search.
    * A categorical is redrawn uniformly with probability ``rho`` (small boxes keep it);
      a parameter inactive at the centre is sampled anywhere.
    * Results are judged by the phase current when they arrive, so ``ask`` may run ahead
      of ``tell``.
    """

    name = "rrs"

    def __init__(
        self,
        space: Space,
        seed: int | None = 0,
        p: float = 0.99,
        r: float = 0.1,
        q: float = 0.99,
        v: float = 0.8,
        c: float = 0.5,
        st: float = 0.001,
    ):
        super().__init__(space, seed)
        for label, value in (("p", p), ("r", r), ("q", q), ("v", v), ("c", c), ("st", st)):
            if not 0 < value < 1:
                raise UserError(f"recursive random search: {label} must lie in (0, 1), got {value}")
        if st >= r:
            raise UserError(f"recursive random search: st ({st}) must be below r ({r})")
        self.c, self.st = c, st
        self.n = confidence_samples(p, r)
        self.l = confidence_samples(q, v)
        self._blocks = _blocks(space)
        self.rho_start = r ** (1 / max(1, len(self._blocks)))
        # exploration state
        self._batch: list[tuple[float, Config]] = []
        self._batch_minima: list[float] = []
        self.threshold = -math.inf  # nothing qualifies before the first batch
        # exploitation state; centre is None while exploring
        self.centre: Config | None = None
        self.centre_loss = math.inf
        self.rho = self.rho_start
        self._failures = 0

    def _propose(self) -> Config:
        if self.centre is None:
            return self.space.sample(self.rng)
        return self._sample_box(self.centre, self.rho)

    def _sample_box(self, centre: Config, rho: float) -> Config:
        x = self.space.encode(centre)
        for name, sl, kind in self._blocks:
            if name not in centre:
                x[sl] = self.rng.random(sl.stop - sl.start)
            elif kind == "categorical":
                if self.rng.random() < rho:
                    x[sl] = 0.0
                    x[sl.start + int(self.rng.integers(sl.stop - sl.start))] = 1.0
            else:
                lo, hi = max(0.0, x[sl.start] - rho / 2), min(1.0, x[sl.start] + rho / 2)
                x[sl] = self.rng.uniform(lo, hi)
        return self.space.decode(x)

    def _observe(self, trial: Trial) -> None:
        loss = trial.loss if math.isfinite(trial.loss) else math.inf
        if self.centre is None:
            self._explore(trial.config, loss)
        else:
            self._exploit(trial.config, loss)

    def _explore(self, config: Config, loss: float) -> None:
        self._batch.append((loss, config))
        if len(self._batch) == self.n:
            best_loss, best_config = min(self._batch, key=lambda lc: lc[0])
            self._batch = []
            if best_loss < math.inf:
                self._batch_minima.append(best_loss)
                self.threshold = float(np.mean(self._batch_minima))
                if len(self._batch_minima) == 1:
                    self._start_exploit(best_config, best_loss)
                    return
        if loss < self.threshold:
            self._start_exploit(config, loss)

    def _start_exploit(self, config: Config, loss: float) -> None:
        self.centre, self.centre_loss = config, loss
        self.rho, self._failures = self.rho_start, 0

    def _exploit(self, config: Config, loss: float) -> None:
        if loss < self.centre_loss:
            self.centre, self.centre_loss, self._failures = config, loss, 0
            return
        self._failures += 1
        if self._failures >= self.l:
            self.rho *= self.c
            self._failures = 0
            if self.rho < self.st:
                self.centre = None


def _blocks(space: Space) -> list[tuple[str, slice, str]]:
    """``(name, slice of the encoding, kind)`` of every parameter that has dimensions."""
    out, i = [], 0
    for p in space.params:
        if p.n_dims:
            out.append((p.name, slice(i, i + p.n_dims), "categorical" if isinstance(p, Categorical) else "numeric"))
        i += p.n_dims
    return out
