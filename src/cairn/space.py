"""Search spaces: typed parameters, conditions and nested choices.

A :class:`Space` is the one description every strategy shares. It samples, enumerates
grids, maps configurations to and from the unit hypercube for model-based optimisers,
proposes neighbours for local search, and validates configurations coming from users.

Conditions make a parameter *active* only when a parent takes given values; a nested
choice (``Space.nested``) builds the CASH shape "learner -> that learner's own
parameters" out of conditions, so the rest of cairn only ever sees flat configs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cairn.errors import ConfigError, SpaceError

Value = Any

#: Unit-hypercube value given to an inactive numeric dimension (its one-hot blocks are 0).
INACTIVE = 0.5


class Config(dict):
    """A configuration: active parameter names mapped to values.

    A plain ``dict`` (so it serialises to JSON as is) that is hashable and read-only, so
    configs can key caches and be de-duplicated.
    """

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self.items())))

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Config is read-only; build a new one with dict(config, key=value)")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (Config, (dict(self),))


def _hashable(value: Value) -> Value:
    return tuple(value) if isinstance(value, list) else value


# --------------------------------------------------------------------------- parameters


class Param:
    """Base class of one named, typed parameter."""

    kind = "param"
    name: str
    default: Value

    def sample(self, rng: np.random.Generator) -> Value:
        return self.from_unit(float(rng.random()))

    @property
    def n_dims(self) -> int:
        """How many unit-hypercube dimensions this parameter occupies."""
        return 1

    def to_unit(self, value: Value) -> float:
        raise NotImplementedError

    def from_unit(self, u: float) -> Value:
        raise NotImplementedError

    def grid(self, resolution: int) -> list[Value]:
        raise NotImplementedError

    def check(self, value: Value) -> Value:
        """Return ``value`` in canonical type, or raise :class:`ConfigError`."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Value]:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{type(self).__name__}({self.name!r}, {args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.name == other.name and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))


class _Numeric(Param):
    """Shared behaviour of :class:`Float` and :class:`Int` (linear or log scale)."""

    def __init__(self, name: str, low: float, high: float, log: bool = False, default: Value = None):
        self.name = _check_name(name)
        if not (_is_number(low) and _is_number(high)):
            raise SpaceError(f"parameter '{name}': low and high must be numbers, got {low!r} and {high!r}")
        if not low < high:
            raise SpaceError(f"parameter '{name}': low ({low}) must be below high ({high})")
        if log and low <= 0:
            raise SpaceError(f"parameter '{name}': a log scale needs low > 0, got low={low}")
        self.low, self.high, self.log = low, high, bool(log)
        self.default = self.check(default) if default is not None else self._centre()

    def _centre(self) -> Value:
        return self.from_unit(0.5)

    def _bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    def to_unit(self, value: Value) -> float:
        lo, hi = self._bounds()
        v = float(value)
        if self.log:
            lo, hi, v = math.log(lo), math.log(hi), math.log(v)
        return min(1.0, max(0.0, (v - lo) / (hi - lo)))

    def _unit_to_float(self, u: float) -> float:
        lo, hi = self._bounds()
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        return lo + u * (hi - lo)

    def _grid_floats(self, resolution: int) -> np.ndarray:
        if resolution == 1:
            return np.array([self._unit_to_float(0.5)])
        if self.log:
            return np.geomspace(self.low, self.high, resolution)
        return np.linspace(self.low, self.high, resolution)

    def _check_range(self, v: float) -> None:
        if not (self.low <= v <= self.high):
            raise ConfigError(f"parameter '{self.name}': {v} is outside [{self.low}, {self.high}]")

    def to_dict(self) -> dict[str, Value]:
        return {"type": self.kind, "low": self.low, "high": self.high, "log": self.log, "default": self.default}


class Float(_Numeric):
    """A real-valued parameter in ``[low, high]``; ``log=True`` samples evenly in log space."""

    kind = "float"

    def __init__(self, name: str, low: float, high: float, log: bool = False, default: float | None = None):
        super().__init__(name, float(low) if _is_number(low) else low, float(high) if _is_number(high) else high, log, default)

    def from_unit(self, u: float) -> float:
        return min(self.high, max(self.low, self._unit_to_float(u)))

    def grid(self, resolution: int) -> list[float]:
        return [float(v) for v in self._grid_floats(resolution)]

    def check(self, value: Value) -> float:
        if not _is_number(value) or not math.isfinite(float(value)):
            raise ConfigError(f"parameter '{self.name}': expected a number, got {value!r}")
        v = float(value)
        self._check_range(v)
        return v


class Int(_Numeric):
    """An integer parameter in ``[low, high]`` (both included)."""

    kind = "int"

    def __init__(self, name: str, low: int, high: int, log: bool = False, default: int | None = None):
        for bound in (low, high):
            if _is_number(bound) and float(bound) != int(bound):
                raise SpaceError(f"parameter '{name}': integer bounds must be whole numbers, got {bound}")
        super().__init__(name, int(low) if _is_number(low) else low, int(high) if _is_number(high) else high, log, default)

    def _bounds(self) -> tuple[float, float]:
        # Each integer owns an interval of equal width (in the chosen scale), so uniform
        # unit samples give every integer its fair share.
        return self.low - 0.5, self.high + 0.5

    def from_unit(self, u: float) -> int:
        return int(min(self.high, max(self.low, round(self._unit_to_float(u)))))

    def grid(self, resolution: int) -> list[int]:
        return sorted({int(round(v)) for v in self._grid_floats(resolution)})

    def check(self, value: Value) -> int:
        if not _is_number(value) or not math.isfinite(float(value)) or float(value) != int(float(value)):
            raise ConfigError(f"parameter '{self.name}': expected an integer, got {value!r}")
        v = int(float(value))
        self._check_range(v)
        return v


class Categorical(Param):
    """One of a finite list of choices (strings, numbers, booleans or None)."""

    kind = "categorical"

    def __init__(self, name: str, choices: Sequence[Value], default: Value = None):
        self.name = _check_name(name)
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Iterable):
            raise SpaceError(f"parameter '{name}': choices must be a list")
        choices = list(choices)
        if not choices:
            raise SpaceError(f"parameter '{name}': a categorical needs at least one choice")
        if len({_hashable(c) for c in choices}) != len(choices):
            raise SpaceError(f"parameter '{name}': choices must be distinct, got {choices}")
        self.choices = choices
        self.default = self.check(default) if default is not None else choices[0]

    @property
    def n_dims(self) -> int:
        return len(self.choices)

    def sample(self, rng: np.random.Generator) -> Value:
        return self.choices[int(rng.integers(len(self.choices)))]

    def index(self, value: Value) -> int:
        for i, c in enumerate(self.choices):
            if c == value and isinstance(c, bool) == isinstance(value, bool):
                return i
        raise ConfigError(f"parameter '{self.name}': {value!r} is not one of {self.choices}")

    def to_unit(self, value: Value) -> float:
        return self.index(value) / max(1, len(self.choices) - 1)

    def from_unit(self, u: float) -> Value:
        return self.choices[min(len(self.choices) - 1, int(float(u) * len(self.choices)))]

    def grid(self, resolution: int) -> list[Value]:
        return list(self.choices)

    def check(self, value: Value) -> Value:
        return self.choices[self.index(value)]

    def to_dict(self) -> dict[str, Value]:
        return {"type": self.kind, "choices": list(self.choices), "default": self.default}


class Constant(Param):
    """A fixed value; part of every config where it is active, never searched."""

    kind = "constant"

    def __init__(self, name: str, value: Value):
        self.name = _check_name(name)
        self.value = self.default = value

    @property
    def n_dims(self) -> int:
        return 0

    def sample(self, rng: np.random.Generator) -> Value:
        return self.value

    def to_unit(self, value: Value) -> float:
        return 0.0

    def from_unit(self, u: float) -> Value:
        return self.value

    def grid(self, resolution: int) -> list[Value]:
        return [self.value]

    def check(self, value: Value) -> Value:
        if value != self.value:
            raise ConfigError(f"parameter '{self.name}': must be the constant {self.value!r}, got {value!r}")
        return self.value

    def to_dict(self) -> dict[str, Value]:
        return {"type": self.kind, "value": self.value}


_KINDS: dict[str, type[Param]] = {cls.kind: cls for cls in (Float, Int, Categorical, Constant)}


def _is_number(value: Value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise SpaceError(f"parameter names must be non-empty strings, got {name!r}")
    return name


# --------------------------------------------------------------------------- space


class Space:
    """Named parameters plus conditions ``child active iff parent in values``.

    Several conditions on one child must all hold. A child of an inactive parent is
    inactive. Parameters are kept in an order where every parent precedes its children.
    """

    def __init__(
        self,
        params: Iterable[Param] = (),
        conditions: Mapping[str, Mapping[str, Sequence[Value]]] | None = None,
    ):
        self._params: dict[str, Param] = {}
        for p in params:
            if not isinstance(p, Param):
                raise SpaceError(f"a space holds parameters, got {p!r}")
            if p.name in self._params:
                raise SpaceError(f"parameter '{p.name}' is defined twice")
            self._params[p.name] = p
        self._conditions: dict[str, dict[str, list[Value]]] = {}
        for child, parents in (conditions or {}).items():
            for parent, values in parents.items():
                self._add_condition(child, parent, values)
        self._order = self._topological_order()

    # -- construction -------------------------------------------------------------

    def _add_condition(self, child: str, parent: str, values: Sequence[Value] | Value) -> None:
        if child not in self._params:
            raise SpaceError(f"condition on '{child}', which is not a parameter of the space")
        if parent not in self._params:
            raise SpaceError(f"parameter '{child}' has a condition on '{parent}', which is not a parameter of the space")
        if child == parent:
            raise SpaceError(f"parameter '{child}' cannot be conditioned on itself")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = list(values)
        if not values:
            raise SpaceError(f"parameter '{child}': the condition on '{parent}' lists no values")
        pp = self._params[parent]
        try:
            values = [pp.check(v) for v in values]
        except ConfigError as exc:
            raise SpaceError(f"parameter '{child}': condition value is impossible: {exc}") from None
        self._conditions.setdefault(child, {})[parent] = values

    def _topological_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = visiting, 2 = done
        for start in self._params:
            if state.get(start) == 2:
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self._conditions.get(start, {})))]
            state[start] = 1
            while stack:
                node, parents = stack[-1]
                nxt = next(parents, None)
                if nxt is None:
                    stack.pop()
                    state[node] = 2
                    order.append(node)
                elif state.get(nxt) == 1:
                    cycle = [n for n, _ in stack] + [nxt]
                    raise SpaceError("conditions form a cycle: " + " -> ".join(cycle[cycle.index(nxt):]))
                elif state.get(nxt) != 2:
                    state[nxt] = 1
                    stack.append((nxt, iter(self._conditions.get(nxt, {}))))
        return order

    @classmethod
    def nested(cls, name: str, options: Mapping[str, Space | None], default: str | None = None) -> Space:
        """A choice ``name`` whose every option brings its own sub-space.

        The parameters of option ``o`` are renamed ``"o.param"`` and are active only when
        ``name == o``; conditions inside each sub-space are kept.
        """
        if not options:
            raise SpaceError(f"nested choice '{name}' has no options")
        params: list[Param] = [Categorical(name, list(options), default=default)]
        conditions: dict[str, dict[str, list[Value]]] = {}
        for option, sub in options.items():
            if sub is None:
                continue
            renamed, sub_conditions = sub._prefixed(f"{option}.")
            params.extend(renamed)
            conditions.update(sub_conditions)
            for p in renamed:
                conditions.setdefault(p.name, {})
                if not sub._conditions.get(p.name[len(option) + 1 :]):
                    conditions[p.name][name] = [option]
        return cls(params, conditions)

    def _prefixed(self, prefix: str) -> tuple[list[Param], dict[str, dict[str, list[Value]]]]:
        renamed = [Space._param_from_dict(prefix + p.name, p.to_dict()) for p in self.params]
        conditions = {
            prefix + child: {prefix + parent: list(values) for parent, values in parents.items()}
            for child, parents in self._conditions.items()
        }
        return renamed, conditions

    def __add__(self, other: Space) -> Space:
        """The union of two spaces with disjoint parameter names."""
        conditions = {k: dict(v) for k, v in self._conditions.items()}
        for child, parents in other._conditions.items():
            conditions.setdefault(child, {}).update(parents)
        return Space([*self.params, *other.params], conditions)

    # -- inspection ---------------------------------------------------------------

    @property
    def params(self) -> list[Param]:
        return [self._params[n] for n in self._order]

    @property
    def names(self) -> list[str]:
        return list(self._order)

    @property
    def conditions(self) -> dict[str, dict[str, list[Value]]]:
        return {k: {p: list(v) for p, v in ps.items()} for k, ps in self._conditions.items()}

    def __getitem__(self, name: str) -> Param:
        try:
            return self._params[name]
        except KeyError:
            raise ConfigError(f"'{name}' is not a parameter of the space") from None

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __repr__(self) -> str:
        return f"Space({self.params!r}, conditions={self._conditions!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_dict() == other.to_dict()

    def is_active(self, name: str, partial: Mapping[str, Value]) -> bool:
        """Whether ``name`` is active given the (already decided) values in ``partial``."""
        for parent, values in self._conditions.get(name, {}).items():
            if parent not in partial or partial[parent] not in values:
                return False
        return True

    def _active_values(self, choose: Any) -> Config:
        """Walk parameters parents-first, asking ``choose(param)`` for each active one."""
        values: dict[str, Value] = {}
        for name in self._order:
            if self.is_active(name, values):
                values[name] = choose(self._params[name])
        return Config(values)

    # -- sampling, defaults, grids --------------------------------------------------

    def sample(self, rng: np.random.Generator | int | None = None) -> Config:
        """One random config; numeric parameters uniform on their (log) scale."""
        rng = np.random.default_rng(rng)
        return self._active_values(lambda p: p.sample(rng))

    def default(self) -> Config:
        return self._active_values(lambda p: p.default)

    def complete(self, fixed: Mapping[str, Value], rng: np.random.Generator) -> Config:
        """The config that keeps ``fixed``'s value of every parameter it leaves active and
        samples the active ones it lacks: what a change of one value leads to."""
        return self._active_values(lambda q: fixed[q.name] if q.name in fixed else q.sample(rng))

    def grid(self, resolution: int | Mapping[str, int] = 5) -> list[Config]:
        """Every config of the discretised space, each exactly once.

        Floats and ints take ``resolution`` points, equi-width on a linear scale and
        exponential (geometric) on a log scale; inactive parameters do not multiply
        the grid.
        """
        def res(p: Param) -> int:
            r = resolution.get(p.name, 5) if isinstance(resolution, Mapping) else resolution
            if int(r) < 1:
                raise SpaceError(f"grid resolution for '{p.name}' must be at least 1, got {r}")
            return int(r)

        values_of = {p.name: p.grid(res(p)) for p in self.params}
        out: list[Config] = []
        stack: list[tuple[int, dict[str, Value]]] = [(0, {})]
        while stack:
            i, partial = stack.pop()
            while i < len(self._order) and not self.is_active(self._order[i], partial):
                i += 1
            if i == len(self._order):
                out.append(Config(partial))
                continue
            name = self._order[i]
            for v in reversed(values_of[name]):
                stack.append((i + 1, {**partial, name: v}))
        return out

    def grid_size(self, resolution: int | Mapping[str, int] = 5) -> int:
        return len(self.grid(resolution))

    # -- unit hypercube encoding ----------------------------------------------------

    @property
    def n_dims(self) -> int:
        return sum(p.n_dims for p in self.params)

    def encode(self, config: Mapping[str, Value]) -> np.ndarray:
        """Map a config into ``[0, 1]^n_dims``: one-hot categoricals, scaled numerics.

        Inactive numeric dimensions take :data:`INACTIVE`; inactive one-hot blocks are 0.
        """
        x = np.zeros(self.n_dims)
        i = 0
        for p in self.params:
            if isinstance(p, Categorical):
                if p.name in config:
                    x[i + p.index(config[p.name])] = 1.0
            elif p.n_dims:
                x[i] = p.to_unit(config[p.name]) if p.name in config else INACTIVE
            i += p.n_dims
        return x

    def decode(self, x: Sequence[float] | np.ndarray) -> Config:
        """The config nearest to a point of the unit hypercube (argmax per one-hot block)."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_dims,):
            raise ConfigError(f"expected a vector of {self.n_dims} values, got shape {x.shape}")
        offsets, i = {}, 0
        for p in self.params:
            offsets[p.name] = i
            i += p.n_dims

        def choose(p: Param) -> Value:
            j = offsets[p.name]
            if isinstance(p, Categorical):
                return p.choices[int(np.argmax(x[j : j + p.n_dims]))]
            return p.from_unit(float(x[j])) if p.n_dims else p.default

        return self._active_values(choose)

    # -- local search ---------------------------------------------------------------

    def neighbour(self, config: Mapping[str, Value], rng: np.random.Generator, eps: float = 0.1) -> Config:
        """A random config in the epsilon-environment of ``config``.

        Every active numeric parameter moves uniformly within ``+-eps`` of its unit-scale
        position (reflected at the bounds); each categorical switches to another choice
        with probability ``eps``. Newly active parameters are sampled; at least one value
        always changes.
        """
        if not 0 < eps <= 1:
            raise ConfigError(f"neighbourhood size eps must be in (0, 1], got {eps}")
        config = self.validate(config)

        def move(p: Param) -> Value:
            if p.name not in config:
                return p.sample(rng)
            old = config[p.name]
            if isinstance(p, Categorical):
                return self._other_choice(p, old, rng) if rng.random() < eps else old
            if isinstance(p, Constant):
                return old
            return p.from_unit(_reflect(p.to_unit(old) + rng.uniform(-eps, eps)))

        new = self._active_values(move)
        if new != config:
            return new
        movable = [p for p in self.params if p.name in config and not isinstance(p, Constant)]
        if not movable:
            return new
        p = movable[int(rng.integers(len(movable)))]
        if isinstance(p, Categorical):
            forced = self._other_choice(p, config[p.name], rng)
        elif isinstance(p, Int):
            step = 1 if config[p.name] == p.low or (config[p.name] != p.high and rng.random() < 0.5) else -1
            forced = config[p.name] + step
        else:
            forced = p.from_unit(_reflect(p.to_unit(config[p.name]) + rng.choice([-1, 1]) * eps / 2))
        if forced == config[p.name]:
            return new
        return self.complete(dict(config, **{p.name: forced}), rng)

    @staticmethod
    def _other_choice(p: Categorical, old: Value, rng: np.random.Generator) -> Value:
        if len(p.choices) == 1:
            return old
        i = int(rng.integers(len(p.choices) - 1))
        j = p.index(old)
        return p.choices[i + 1 if i >= j else i]

    # -- validation -----------------------------------------------------------------

    def validate(self, config: Mapping[str, Value], fill_defaults: bool = False) -> Config:
        """Check a user-given config and return it in canonical types.

        Raises :class:`ConfigError` for unknown parameters, missing active parameters,
        values out of range and values given for inactive parameters.
        """
        if not isinstance(config, Mapping):
            raise ConfigError(f"a config must be a mapping of parameter names to values, got {type(config).__name__}")
        for name in config:
            if name not in self._params:
                raise ConfigError(f"'{name}' is not a parameter of the space")

        def take(p: Param) -> Value:
            if p.name in config:
                return p.check(config[p.name])
            if fill_defaults:
                return p.default
            raise ConfigError(f"parameter '{p.name}' is active but has no value")

        out = self._active_values(take)
        for name in config:
            if name not in out:
                raise ConfigError(f"parameter '{name}' is inactive for this config and must not be set")
        return out

    # -- serialisation --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for p in self.params:
            d = p.to_dict()
            if p.name in self._conditions:
                d["when"] = {k: list(v) for k, v in self._conditions[p.name].items()}
            params[p.name] = d
        return {"params": params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Space:
        """Build a space from ``{"params": {name: {"type": ..., ..., "when": {...}}}}``.

        ``params`` may also be a list of entries that each carry a ``name``.
        """
        if not isinstance(data, Mapping) or "params" not in data:
            raise SpaceError("a space file must have a top-level 'params' section")
        entries = data["params"]
        if isinstance(entries, Mapping):
            items = list(entries.items())
        elif isinstance(entries, list):
            items = []
            for e in entries:
                if not isinstance(e, Mapping) or "name" not in e:
                    raise SpaceError(f"each parameter in a 'params' list needs a 'name', got {e!r}")
                items.append((e["name"], {k: v for k, v in e.items() if k != "name"}))
        else:
            raise SpaceError("'params' must be a mapping or a list")
        params, conditions = [], {}
        for name, spec in items:
            if not isinstance(spec, Mapping):
                raise SpaceError(f"parameter '{name}': expected a mapping with a 'type', got {spec!r}")
            params.append(cls._param_from_dict(name, spec))
            when = spec.get("when")
            if when is not None:
                if not isinstance(when, Mapping):
                    raise SpaceError(f"parameter '{name}': 'when' must map parent names to values")
                conditions[name] = dict(when)
        return cls(params, conditions)

    @staticmethod
    def _param_from_dict(name: str, spec: Mapping[str, Any]) -> Param:
        kind = spec.get("type")
        if kind not in _KINDS:
            raise SpaceError(f"parameter '{name}': unknown type {kind!r} (use one of {', '.join(_KINDS)})")
        allowed = {"float": {"low", "high", "log", "default"}, "int": {"low", "high", "log", "default"},
                   "categorical": {"choices", "default"}, "constant": {"value"}}[kind]
        args = {k: v for k, v in spec.items() if k not in ("type", "when")}
        unknown = set(args) - allowed
        if unknown:
            raise SpaceError(f"parameter '{name}': unknown field(s) {', '.join(sorted(unknown))} for type {kind}")
        required = {"float": ("low", "high"), "int": ("low", "high"), "categorical": ("choices",), "constant": ("value",)}[kind]
        for field_name in required:
            if field_name not in args:
                raise SpaceError(f"parameter '{name}': type {kind} needs '{field_name}'")
        return _KINDS[kind](name, **args)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_file(cls, path: str | Path) -> Space:
        """Read a space from a ``.yaml``/``.yml`` or ``.json`` file."""
        path = Path(path)
        if not path.is_file():
            raise SpaceError(f"space file '{path}' does not exist")
        try:
            text = path.read_text()
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpaceError(f"space file '{path}' cannot be parsed: {first}") from None
        return cls.from_dict(data)


def _reflect(u: float) -> float:
    """Fold a unit-scale value back into [0, 1] (mirror at the bounds)."""
    u = abs(u) % 2.0
    return 2.0 - u if u > 1.0 else u


__all__ = [
    "Categorical",
    "Config",
    "Constant",
    "Float",
    "INACTIVE",
    "Int",
    "Param",
    "Space",
]
