"""The space of AutoAugment-form policies, and the policy a config of it describes.

A policy has ``n_subpolicies`` sub-policies of ``steps`` operations, each step an
operation name (``augment.s0.op0``), a probability (``augment.s0.p0``) and a magnitude
(``augment.s0.m0``, active only for operations that have a strength), so a Study's
strategies see an ordinary conditional Space and the Store records a policy as params.
:func:`policy_config` goes the other way, so known policies can warm-start a search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.augment.policies import MAX_MAGNITUDE, OPS, AutoAugment
from cairn.errors import UserError
from cairn.space import Categorical, Float, Int, Space

PREFIX = "augment"


def policy_space(n_subpolicies: int = 2, ops: Sequence[str] = tuple(OPS), steps: int = 2,
                 prefix: str = PREFIX) -> Space:
    """The space of AutoAugment-form policies over the operations ``ops``."""
    unknown = [name for name in ops if name not in OPS]
    if unknown or not ops:
        raise UserError(f"unknown augmentation {unknown[0]!r}; valid names are {', '.join(OPS)}" if unknown
                        else "a policy space needs at least one operation")
    if n_subpolicies < 1 or steps < 1:
        raise UserError(f"a policy needs at least one sub-policy of one step, got {n_subpolicies} of {steps}")
    strong = [name for name in ops if OPS[name].strongest is not None]
    params, conditions = [], {}
    for i in range(n_subpolicies):
        for j in range(steps):
            op = f"{prefix}.s{i}.op{j}"
            params += [Categorical(op, list(ops)), Float(f"{prefix}.s{i}.p{j}", 0.0, 1.0)]
            if strong:
                params.append(Int(f"{prefix}.s{i}.m{j}", 0, MAX_MAGNITUDE))
                conditions[f"{prefix}.s{i}.m{j}"] = {op: strong}
    return Space(params, conditions)


def policy_from_config(config: Mapping[str, Any], prefix: str = PREFIX) -> AutoAugment | None:
    """The policy a config of :func:`policy_space` describes (``None`` if it has none)."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.s(\d+)\.op(\d+)$")
    found = sorted((int(m[1]), int(m[2])) for m in map(pattern.match, config) if m)
    if not found:
        return None
    subpolicies: dict[int, list[tuple[str, float, float]]] = {}
    for i, j in found:
        step = (config[f"{prefix}.s{i}.op{j}"], config.get(f"{prefix}.s{i}.p{j}", 1.0),
                config.get(f"{prefix}.s{i}.m{j}", 0))
        subpolicies.setdefault(i, []).append(step)
    return AutoAugment(list(subpolicies.values()))


def policy_config(subpolicies: Sequence[Sequence[tuple[str, float, float]]], n_subpolicies: int = 2,
                  steps: int = 2, prefix: str = PREFIX) -> dict[str, Any]:
    """A config of ``policy_space(n_subpolicies, ..., steps)`` for a policy in AutoAugment's
    form (sub-policies of ``(name, probability, magnitude)``), to warm-start a search with it.

    Each image draws one sub-policy uniformly, so repeating the sub-policies to fill
    ``n_subpolicies`` (a multiple of their number) keeps the policy; missing steps are
    identity. Magnitudes stay as given: the space refuses one that is not a whole number.
    """
    policy = AutoAugment(subpolicies)  # checks names, probabilities and magnitudes
    if n_subpolicies % len(policy.subpolicies) or any(len(sub) > steps for sub in policy.subpolicies):
        raise UserError(f"a policy of {len(policy.subpolicies)} sub-policies of up to "
                        f"{max(map(len, policy.subpolicies))} steps does not fit a space of {n_subpolicies} "
                        f"sub-policies of {steps} steps")
    config: dict[str, Any] = {}
    for i in range(n_subpolicies):
        sub = policy.subpolicies[i % len(policy.subpolicies)]
        for j, (name, p, m) in enumerate([*sub, *[("identity", 0.0, 0.0)] * (steps - len(sub))]):
            config[f"{prefix}.s{i}.op{j}"], config[f"{prefix}.s{i}.p{j}"] = name, p
            if OPS[name].strongest is not None:
                config[f"{prefix}.s{i}.m{j}"] = m
    return config
