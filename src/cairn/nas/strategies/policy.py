"""A small LSTM policy over a sequence of categorical decisions, in numpy.

The controller of Zoph & Le (2017) and ENAS: at step ``t`` an LSTM cell reads the
embedding of the previous decision (a learned start vector at the first step) and a
per-step softmax head turns its hidden state into a distribution over the ``t``-th
decision's choices, its logits bounded as ENAS's. Written in numpy with hand-derived backpropagation through time,
as the controller is a few thousand weights: torch would cost more to import than to
train it, and the optimiser registry stays free of the ``nn`` extra.

REINFORCE with an entropy bonus: for a trajectory ``a_1..a_T`` with advantage ``A``,
the loss is ``-A * sum_t log p_t(a_t) - entropy_weight * sum_t H(p_t)``; Adam steps
on its gradient, clipped to a maximum global norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Weights start uniform in ``+-INIT_SCALE`` (as ENAS's controller).
INIT_SCALE = 0.1
#: ENAS's bound on the logits, ``TANH_CONSTANT * tanh(logit / TEMPERATURE)``: no choice
#: gets more than ``exp(2 * TANH_CONSTANT)`` times the probability of another, so the
#: policy cannot collapse on one network however often it is rewarded.
TANH_CONSTANT, TEMPERATURE = 2.5, 5.0
#: Adam's moment decays and its denominator's guard.
BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
#: Gradients are rescaled to at most this global norm.
MAX_GRAD_NORM = 5.0

#: A decision: its step (which head) and the index of the choice taken.
Decision = tuple[int, int]


@dataclass
class State:
    """The LSTM's hidden and cell vectors and the decision that led here."""

    h: np.ndarray
    c: np.ndarray
    previous: Decision | None = None


class LSTMPolicy:
    """An LSTM cell with one embedding table and one softmax head per decision step."""

    def __init__(self, sizes: Sequence[int], rng: np.random.Generator, hidden_size: int = 32,
                 learning_rate: float = 0.01):
        self.sizes, self.hidden_size, self.learning_rate = list(sizes), hidden_size, learning_rate
        H = hidden_size

        shapes = {"W": (4 * H, 2 * H), "b": (4 * H,), "start": (H,)}
        for t, n in enumerate(self.sizes):
            shapes.update({f"embed{t}": (n, H), f"head{t}": (n, H), f"bias{t}": (n,)})
        self._flat = rng.uniform(-INIT_SCALE, INIT_SCALE, sum(int(np.prod(s)) for s in shapes.values()))
        self.weights = _views(self._flat, shapes)
        for name in ("b", *(f"bias{t}" for t in range(len(self.sizes)))):
            self.weights[name][:] = 0.0
        self._shapes = shapes
        self._m, self._v = np.zeros_like(self._flat), np.zeros_like(self._flat)
        self._steps = 0

    def initial(self) -> State:
        return State(np.zeros(self.hidden_size), np.zeros(self.hidden_size))

    def step(self, state: State, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distribution of decision ``t`` after ``state``, and the LSTM's new ``h`` and ``c``."""
        probs, cache = self._forward(state, t)
        return probs, cache["h"], cache["c"]

    def _input(self, previous: Decision | None) -> np.ndarray:
        if previous is None:
            return self.weights["start"]
        return self.weights[f"embed{previous[0]}"][previous[1]]

    def _forward(self, state: State, t: int) -> tuple[np.ndarray, dict]:
        H = self.hidden_size
        x = self._input(state.previous)
        xh = np.concatenate([x, state.h])
        z = self.weights["W"] @ xh + self.weights["b"]
        gates = _sigmoid(z[:3 * H])
        i, f, o = gates[:H], gates[H:2 * H], gates[2 * H:]
        g = np.tanh(z[3 * H:])
        c = f * state.c + i * g
        tc = np.tanh(c)
        h = o * tc
        squashed = np.tanh((self.weights[f"head{t}"] @ h + self.weights[f"bias{t}"]) / TEMPERATURE)
        probs = _softmax(TANH_CONSTANT * squashed)
        return probs, {"squashed": squashed, "xh": xh, "c_prev": state.c, "i": i, "f": f, "o": o, "g": g, "c": c, "tc": tc, "h": h,
                       "probs": probs, "t": t, "previous": state.previous}

    def gradient(self, decisions: Sequence[Decision], advantage: float,
                 entropy_weight: float) -> tuple[float, dict[str, np.ndarray]]:
        """The REINFORCE loss of one trajectory and its gradient in every weight."""
        loss, flat_grad = self._backward(decisions, advantage, entropy_weight)
        return loss, _views(flat_grad, self._shapes)

    def _backward(self, decisions: Sequence[Decision], advantage: float,
                  entropy_weight: float) -> tuple[float, np.ndarray]:
        state, caches = self.initial(), []
        for t, a in decisions:
            _, cache = self._forward(state, t)
            caches.append((cache, a))
            state = State(cache["h"], cache["c"], (t, a))
        H = self.hidden_size
        flat_grad = np.zeros_like(self._flat)
        grads = _views(flat_grad, self._shapes)
        loss = 0.0
        dh_next, dc_next = np.zeros(H), np.zeros(H)
        for cache, a in reversed(caches):
            p, t = cache["probs"], cache["t"]
            log_p = np.log(np.maximum(p, 1e-300))
            entropy = -float(p @ log_p)
            loss += -advantage * log_p[a] - entropy_weight * entropy
            dlogits = advantage * p + entropy_weight * p * (log_p + entropy)
            dlogits[a] -= advantage
            dlogits *= TANH_CONSTANT / TEMPERATURE * (1 - cache["squashed"] ** 2)
            grads[f"head{t}"] += np.outer(dlogits, cache["h"])
            grads[f"bias{t}"] += dlogits
            dh = self.weights[f"head{t}"].T @ dlogits + dh_next
            i, f, o, g, tc = cache["i"], cache["f"], cache["o"], cache["g"], cache["tc"]
            dc = dh * o * (1 - tc**2) + dc_next
            dz = np.concatenate([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f),
                                 dh * tc * o * (1 - o), dc * i * (1 - g**2)])
            dc_next = dc * f
            grads["W"] += np.outer(dz, cache["xh"])
            grads["b"] += dz
            dxh = self.weights["W"].T @ dz
            dh_next = dxh[H:]
            previous = cache["previous"]
            if previous is None:
                grads["start"] += dxh[:H]
            else:
                grads[f"embed{previous[0]}"][previous[1]] += dxh[:H]
        return loss, flat_grad

    def update(self, decisions: Sequence[Decision], advantage: float, entropy_weight: float) -> None:
        """One Adam step on the REINFORCE loss of ``decisions``."""
        _, flat_grad = self._backward(decisions, advantage, entropy_weight)
        norm = float(np.sqrt(np.sum(flat_grad**2)))  # not BLAS: its threads cost more than the sum
        if norm > MAX_GRAD_NORM:
            flat_grad *= MAX_GRAD_NORM / norm
        self._steps += 1
        b1, b2 = BETAS
        self._m = b1 * self._m + (1 - b1) * flat_grad
        self._v = b2 * self._v + (1 - b2) * flat_grad**2
        m_hat, v_hat = self._m / (1 - b1**self._steps), self._v / (1 - b2**self._steps)
        self._flat -= self.learning_rate * m_hat / (np.sqrt(v_hat) + ADAM_EPS)


def _views(flat: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Named arrays that share the memory of one flat vector, so Adam steps all at once."""
    out, i = {}, 0
    for name, shape in shapes.items():
        n = int(np.prod(shape))
        out[name] = flat[i:i + n].reshape(shape)
        i += n
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


__all__ = ["LSTMPolicy", "State"]
