"""Several PostgreSQL statements in one round trip, inside the caller's transaction.

SQLAlchemy cannot drive a psycopg pipeline, so statements that gain from sharing a round
trip are sent on the driver connection, under the transaction the caller's SQLAlchemy
connection began. They are Core statements compiled once for psycopg, so they stay the
same statements the SQLite path executes (and whose plans the tests read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

_PSYCOPG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


class PgStatement:
    """A Core statement rendered once for psycopg, with its constant parameters."""

    __slots__ = ("constants", "sql")

    def __init__(self, statement: ClauseElement | str) -> None:
        if isinstance(statement, str):
            self.sql, self.constants = statement, {}
        else:
            compiled = statement.compile(dialect=_PSYCOPG)
            self.sql = str(compiled)
            self.constants = {k: v for k, v in compiled.params.items() if v is not None}

    def bind(self, params: Mapping[str, Any]) -> tuple[PgStatement, dict[str, Any]]:
        return self, {**self.constants, **params}


def run_pipelined(conn: Connection,
                  statements: Sequence[tuple[PgStatement, Mapping[str, Any]]]
                  ) -> list[list[tuple[Any, ...]]]:  # fmt: skip
    """Send ``statements`` in one psycopg pipeline and return each one's rows ([] for a
    statement without any). A driver error is raised as SQLAlchemy's, like any other."""
    driver = conn.connection.driver_connection
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            cursors = [driver.execute(s.sql, p) for s, p in statements]  # type: ignore[union-attr]
        return [cur.fetchall() if cur.description else [] for cur in cursors]
    except psycopg.Error as exc:
        raise DBAPIError(statements[0][0].sql, None, exc) from exc
