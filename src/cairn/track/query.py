"""The run filter language, compiled to SQL.

    metrics.accuracy > 0.9 and (params.learner = 'svm' or tags.stage = 'prod')
        and not params.scaler = 'none'

A comparison names a param, metric, tag or run attribute, an operator (``=``, ``!=``,
``<``, ``<=``, ``>``, ``>=``, ``[not] in (...)``, ``[not] like``, ``[not] ilike``) and a
value (a number, a ``'string'``, ``true`` or ``false``); comparisons combine with
``and``, ``or``, ``not`` and parentheses. Everything after the first dot is the key, so
``params.rbf_svm.C`` names the param ``rbf_svm.C``; keys with other characters go in
backticks (``tags.`my tag```). Attributes: status, run_name, run_id, start_time,
end_time, duration, trial_number, study_id, parent_run_id, experiment_id.

Each comparison becomes a subquery on one indexed table (params, latest_metrics, tags)
or a condition on runs, and every value is a bound parameter, never SQL text. ``!=`` and
``not in`` match runs that have the key with another value; ``not (...)`` also matches
runs without the key. A filter that does not parse raises :class:`FilterError` with the
column and a caret under the offending spot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.errors import FilterError
from cairn.track import schema as s

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_]\w*(?:\.(?:`[^`]*`|[\w.\-/:]+))?)
""", re.VERBOSE)

_PREFIXES = {"params": "param", "param": "param", "metrics": "metric", "metric": "metric", "tags": "tag",
             "tag": "tag", "attributes": "attr", "attribute": "attr", "attr": "attr", "run": "attr"}
_RUNS = s.runs.c
_ATTRIBUTES: dict[str, tuple[Any, type]] = {
    "status": (_RUNS.status, str), "run_name": (_RUNS.name, str), "run_id": (_RUNS.id, str),
    "parent_run_id": (_RUNS.parent_run_id, str), "start_time": (_RUNS.start_time, float),
    "end_time": (_RUNS.end_time, float), "duration": (_RUNS.end_time - _RUNS.start_time, float),
    "trial_number": (_RUNS.trial_number, float), "study_id": (_RUNS.study_id, float),
    "experiment_id": (_RUNS.experiment_id, float),
}
_TABLES = {"param": s.params, "metric": s.latest_metrics, "tag": s.tags}
_ORDERING = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}
_NEGATIONS = {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, op, punct, name, end
    text: str
    pos: int


@dataclass(frozen=True)
class _Field:
    kind: str  # param, metric, tag, attr
    key: str
    pos: int

    def __str__(self) -> str:
        return f"{self.kind}s.{self.key}" if self.kind != "attr" else self.key


@dataclass(frozen=True)
class _Value:
    value: Any  # int, float, str or bool
    text: str
    pos: int

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)


def compile_filter(text: str) -> sa.ColumnElement[bool]:
    """A WHERE condition on ``runs`` for a filter string."""
    parser = _Parser(text)
    condition = parser.expression()
    parser.expect_end("'and', 'or' or the end of the filter")
    return condition


def plan_search(filter: str | None, conditions: Sequence[sa.ColumnElement[bool]],
                order_by: Sequence[str]) -> list[sa.Select]:
    """SELECTs over runs whose results, one after the other, are the search's answer.

    ``order_by`` items look like ``"metrics.accuracy desc"``; runs without the key come
    last, and ties (and no ordering) are newest first. Ordering by a metric reads
    ``latest_metrics``' (key, value) index in order, so asking for the best k runs
    touches about k of them instead of sorting every match; the runs without that metric
    follow from a second query.
    """
    where = [*conditions]
    if filter and filter.strip():
        where.append(compile_filter(filter))
    fields = [_order_field(item) for item in ([order_by] if isinstance(order_by, str) else order_by)]
    newest = [_RUNS.start_time.desc(), _RUNS.id]
    if not fields or fields[0][0].kind != "metric":
        clauses = [c for field, descending in fields for c in _order_clauses(field, descending)]
        return [sa.select(s.runs).where(*where).order_by(*clauses, *newest)]
    (first, descending), rest = fields[0], [c for f, d in fields[1:] for c in _order_clauses(f, d)]
    lm, o = s.latest_metrics, s.latest_metrics.alias("o")
    ranked = (sa.select(s.runs).join_from(o, s.runs, _RUNS.id == o.c.run_id)
              .where((o.c.key == first.key) & o.c.value.is_not(None), *where)
              .order_by(o.c.value.desc() if descending else o.c.value.asc(), *rest, *newest))
    has_value = sa.exists().where((lm.c.run_id == _RUNS.id) & (lm.c.key == first.key) & lm.c.value.is_not(None))
    return [ranked, sa.select(s.runs).where(~has_value, *where).order_by(*rest, *newest)]


def _order_field(item: str) -> tuple[_Field, bool]:
    """The field of an ordering item and whether it is descending."""
    parser = _Parser(item)
    field = parser.field()
    descending = parser.keyword("desc") is not None
    if not descending:
        parser.keyword("asc")
    parser.expect_end("'asc', 'desc' or the end of the ordering")
    return field, descending


def error_at(text: str, pos: int, message: str) -> FilterError:
    """A :class:`FilterError` naming the column, with the text and a caret under it."""
    line = text.replace("\n", " ").replace("\t", " ")
    return FilterError(f"{message} at column {pos + 1}:\n  {line}\n  {' ' * pos}^")


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            what = "an unterminated string" if char in "'\"" else f"an unexpected character {char!r}"
            if char == "." and "`" in text[pos:]:
                what = "an unterminated `backtick` key"
            raise error_at(text, pos, f"the filter has {what}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent: or > and > not > parentheses and comparisons."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, token: _Token, message: str) -> FilterError:
        return error_at(self.text, token.pos, message)

    def keyword(self, word: str) -> _Token | None:
        token = self.peek()
        if token.kind == "name" and token.text.lower() == word:
            return self.take()
        return None

    def expect_end(self, wanted: str) -> None:
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"expected {wanted}, found '{token.text}'")

    def expression(self) -> sa.ColumnElement[bool]:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else sa.or_(*parts)

    def conjunction(self) -> sa.ColumnElement[bool]:
        parts = [self.negation()]
        while self.keyword("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else sa.and_(*parts)

    def negation(self) -> sa.ColumnElement[bool]:
        if self.keyword("not"):
            return sa.not_(self.negation())
        token = self.peek()
        if token.kind == "punct" and token.text == "(":
            self.take()
            inner = self.expression()
            closing = self.peek()
            if closing.text != ")":
                raise self.error(closing, f"expected ')' to close the '(' at column {token.pos + 1}, "
                                          f"found {repr(closing.text) if closing.text else 'the end'}")
            self.take()
            return inner
        return self.comparison()

    def field(self) -> _Field:
        token = self.peek()
        if token.kind != "name" or token.text.lower() in ("and", "or", "not", "in", "like", "ilike"):
            found = f"'{token.text}'" if token.text else "the end"
            raise self.error(token, f"expected a params., metrics. or tags. key or a run attribute, found {found}")
        self.take()
        prefix, dot, key = token.text.partition(".")
        if not dot:
            if prefix.lower() in _ATTRIBUTES:
                return _Field("attr", prefix.lower(), token.pos)
            raise self.error(token, f"'{prefix}' is not a run attribute; write params.{prefix}, metrics.{prefix} "
                                    f"or tags.{prefix}, or use one of {', '.join(_ATTRIBUTES)}")
        kind = _PREFIXES.get(prefix.lower())
        if kind is None:
            raise self.error(token, f"'{prefix}' is not a prefix; use params., metrics., tags. or attributes.")
        if key.startswith("`"):
            key = key[1:-1]
        if not key:
            raise self.error(token, f"'{token.text}' names no key")
        if kind == "attr":
            key = key.lower()
            if key not in _ATTRIBUTES:
                raise self.error(token, f"'{key}' is not a run attribute; use one of {', '.join(_ATTRIBUTES)}")
        return _Field(kind, key, token.pos)

    def comparison(self) -> sa.ColumnElement[bool]:
        field = self.field()
        token = self.peek()
        if token.kind == "op":
            self.take()
            op = {"==": "=", "<>": "!="}.get(token.text, token.text)
            return _compare(self, field, op, [self.value()])
        negated = self.keyword("not") is not None
        for word in ("in", "like", "ilike"):
            if self.keyword(word):
                op = f"not {word}" if negated else word
                values = self.value_list() if word == "in" else [self.value()]
                return _compare(self, field, op, values)
        token = self.peek()
        found = f"'{token.text}'" if token.text else "the end"
        raise self.error(token, f"expected an operator (=, !=, <, <=, >, >=, in, like, ilike) after {field}, found {found}")

    def value(self) -> _Value:
        token = self.take()
        if token.kind == "number":
            is_float = any(c in token.text for c in ".eE")
            return _Value(float(token.text) if is_float else int(token.text), token.text, token.pos)
        if token.kind == "string":
            quote, body = token.text[0], token.text[1:-1]
            return _Value(re.sub(r"\\(.)", r"\1", body.replace(quote * 2, quote)), token.text, token.pos)
        if token.kind == "name" and token.text.lower() in ("true", "false"):
            return _Value(token.text.lower() == "true", token.text.lower(), token.pos)
        found = f"'{token.text}'" if token.text else "the end"
        raise self.error(token, f"expected a value (a number, a 'string', true or false), found {found}")

    def value_list(self) -> list[_Value]:
        opening = self.take()
        if opening.text != "(":
            raise self.error(opening, "expected '(' to start the list after 'in'")
        values = [self.value()]
        while self.peek().text == ",":
            self.take()
            values.append(self.value())
        closing = self.take()
        if closing.text != ")":
            raise self.error(closing, "expected ',' or ')' in the list")
        return values


def _compare(parser: _Parser, field: _Field, op: str, values: list[_Value]) -> sa.ColumnElement[bool]:
    """The condition on runs for one comparison."""
    if field.kind == "attr":
        return _attribute(parser, field, op, values)
    table = _TABLES[field.kind]
    positive = _NEGATIONS.get(op, op)
    match = _match(parser, field, table, positive, values)
    hit = sa.select(table.c.run_id).where((table.c.key == field.key) & match)
    if positive == op:
        return _RUNS.id.in_(hit)
    has_key = sa.select(table.c.run_id).where(table.c.key == field.key)
    return _RUNS.id.in_(has_key) & _RUNS.id.not_in(hit)


def _match(parser: _Parser, field: _Field, table: sa.Table, op: str, values: list[_Value]) -> sa.ColumnElement[bool]:
    """The condition on one row of params, latest_metrics or tags (``op`` is never negated)."""
    if field.kind == "metric":
        for v in values:
            if not v.is_number or op in ("like", "ilike"):
                raise parser.error(_at(v), f"metrics are numbers; compare {field} with a number, not {v.text}")
        return _apply(table.c.value, op, [v.value for v in values])
    if op in ("like", "ilike"):
        _require_text(parser, op, values)
    if field.kind == "tag":
        texts = [v.value if isinstance(v.value, str) else v.text for v in values]
        return _apply(table.c.value, op, texts)
    # params keep their type: numbers compare numerically, text as text, booleans as such
    numeric = table.c.value_type.in_(("int", "float"))
    if op in _ORDERING:
        v = values[0]
        if isinstance(v.value, bool):
            raise parser.error(_at(v), f"true and false only compare with = or !=, not {op}")
        if v.is_number:
            return numeric & getattr(table.c.value_num, _ORDERING[op])(v.value)
        return (table.c.value_type == "str") & getattr(table.c.value, _ORDERING[op])(v.value)
    if op in ("like", "ilike"):
        return _apply(table.c.value, op, [v.value for v in values])
    numbers = [v.value for v in values if v.is_number]
    texts = [v.value for v in values if isinstance(v.value, str)]
    flags = ["true" if v.value else "false" for v in values if isinstance(v.value, bool)]
    parts = []
    if numbers:
        parts.append(numeric & table.c.value_num.in_(numbers))
    if texts:
        parts.append(table.c.value.in_(texts))
    if flags:
        parts.append((table.c.value_type == "bool") & table.c.value.in_(flags))
    return sa.or_(*parts)


def _attribute(parser: _Parser, field: _Field, op: str, values: list[_Value]) -> sa.ColumnElement[bool]:
    column, kind = _ATTRIBUTES[field.key]
    for v in values:
        ok = v.is_number if kind is float else isinstance(v.value, str)
        if not ok:
            wanted = "a number" if kind is float else "a 'string'"
            raise parser.error(_at(v), f"{field.key} is compared with {wanted}, not {v.text}")
    positive = _NEGATIONS.get(op, op)
    if positive in ("like", "ilike") and kind is float:
        raise parser.error(_at(values[0]), f"{op} needs text, and {field.key} is a number")
    if field.key == "status" and positive in ("=", "in"):
        for v in values:
            if v.value not in s.RUN_STATUSES:
                raise parser.error(_at(v), f"{v.text} is not a run status; use one of {', '.join(s.RUN_STATUSES)}")
    condition = _apply(column, positive, [v.value for v in values])
    return condition if positive == op else sa.not_(condition)


def _apply(column: Any, op: str, raw: list[Any]) -> Any:
    """``column <op> value(s)`` for a positive operator."""
    if op == "=":
        return column == raw[0]
    if op == "in":
        return column.in_(raw)
    if op == "like":
        return column.like(raw[0])
    if op == "ilike":
        return column.ilike(raw[0])
    return getattr(column, _ORDERING[op])(raw[0])


def _require_text(parser: _Parser, op: str, values: list[_Value]) -> None:
    for v in values:
        if not isinstance(v.value, str):
            raise parser.error(_at(v), f"{op} needs a 'pattern' string, not {v.text}")


def _at(value: _Value) -> _Token:
    return _Token("value", value.text, value.pos)


def _order_clauses(field: _Field, descending: bool) -> list[Any]:
    """ORDER BY clauses for one field, runs without it last."""
    if field.kind == "attr":
        columns = [_ATTRIBUTES[field.key][0]]
    else:
        table = _TABLES[field.kind]

        def latest(column: sa.Column) -> Any:
            return (sa.select(column).where((table.c.run_id == _RUNS.id) & (table.c.key == field.key))
                    .scalar_subquery())

        # params: numbers in numeric order, then text
        columns = [latest(table.c.value_num), latest(table.c.value)] if field.kind == "param" else [latest(table.c.value)]
    return [(c.desc() if descending else c.asc()).nulls_last() for c in columns]
