"""Statements compiled once and run on the driver's cursor.

A trial's start and end are a handful of tiny writes. SQLAlchemy's per-execution
bookkeeping (execution context, events, result set-up) costs more than SQLite's own work
on them, so the Store's hot statements are compiled once for its dialect and executed on
the DBAPI cursor, inside the same SQLAlchemy transaction as everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable


class Prepared:
    """``statement`` compiled for ``dialect``; ``keys`` name the columns an INSERT binds."""

    def __init__(self, statement: Executable, dialect: Dialect, keys: Sequence[str] | None = None):
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql = compiled.string
        # Positional paramstyles (SQLite's qmark) need values in the compiled order;
        # named ones (psycopg's pyformat) take the rows as they are.
        self.order: Sequence[str] | None = compiled.positiontup

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row, in ``conn``'s open transaction."""
        if not rows:
            return
        params = [tuple(row[k] for k in self.order) for row in rows] if self.order else list(rows)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if len(params) == 1:
                cursor.execute(self.sql, params[0])
            else:
                cursor.executemany(self.sql, params)
        finally:
            cursor.close()
