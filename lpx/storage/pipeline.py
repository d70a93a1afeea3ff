"""Several PostgreSQL statements in one round trip, inside the caller's transaction.

SQLAlchemy cannot drive a psycopg pipeline, so statements that gain from sharing a round
trip are sent on the driver connection, under the transaction the caller's SQLAlchemy
connection began. They are Core statements compiled once for psycopg, so they stay the
same statements the SQLite path executes (and whose plans the tests read).

A write whose result nobody reads can be *deferred*: it waits on the connection and goes
first in the next pipeline (``run_pipelined``), so it costs no round trip of its own. A
commit sends whatever is still waiting and COMMIT in one pipeline, and a rollback drops it
(``watch_deferred``, on every PostgreSQL engine), so a deferred write is never lost, never
outlives its transaction, and fails the commit if it fails.

A read whose statement is known early can be sent *ahead*: it rides last in the next
pipeline, and its rows wait until the caller asks (``Ahead.rows``, which runs it alone if no
pipeline took it). A search's candidate read rides with the guard's round trip this way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

_PSYCOPG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_DEFERRED = "lpx.deferred"  # keys in the DBAPI connection's info dict
_AHEAD = "lpx.ahead"
Bound = tuple["PgStatement", Mapping[str, Any]]


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

    def params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.constants, **given} if self.constants else dict(given)


_COMMIT = PgStatement("COMMIT")


def run_pipelined(conn: Connection, statements: Sequence[Bound]) -> list[list[tuple[Any, ...]]]:
    """Send the deferred writes and ``statements`` in one psycopg pipeline and return each
    statement's rows ([] for one without any). A driver error is raised as SQLAlchemy's."""
    driver = conn.connection.driver_connection
    reads: list[Ahead] = conn.info.pop(_AHEAD, [])
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            _send_deferred(conn)
            cursors = [driver.execute(s.sql, s.params(p))  # type: ignore[union-attr]
                       for s, p in (*statements, *((a.statement, a.given) for a in reads))]
        results = [cur.fetchall() if cur.description else [] for cur in cursors]
    except psycopg.Error as exc:
        raise DBAPIError(statements[0][0].sql if statements else "", None, exc) from exc
    for read, rows in zip(reads, results[len(statements):], strict=True):
        read.fetched = rows
    return results[: len(statements)]


class Ahead:
    """A read sent with the connection's next pipeline; see the module's docstring."""

    __slots__ = ("conn", "fetched", "given", "statement")

    def __init__(self, conn: Connection, statement: PgStatement,
                 given: Mapping[str, Any]) -> None:  # fmt: skip
        self.conn, self.statement, self.given = conn, statement, given
        self.fetched: list[tuple[Any, ...]] | None = None
        conn.info.setdefault(_AHEAD, []).append(self)

    def rows(self) -> list[tuple[Any, ...]]:
        if self.fetched is None:  # no pipeline took it: send it now (with any others)
            run_pipelined(self.conn, [])
        assert self.fetched is not None
        return self.fetched


def defer(conn: Connection, statement: PgStatement, params: Mapping[str, Any]) -> None:
    """Queue a write for the connection's next pipeline, or its commit."""
    conn.info.setdefault(_DEFERRED, []).append((statement, params))


def _send_deferred(conn: Connection) -> None:
    """Queue the deferred writes in the pipeline the caller has open on ``conn``."""
    driver = conn.connection.driver_connection
    for statement, params in conn.info.pop(_DEFERRED, ()):
        driver.execute(statement.sql, statement.params(params))  # type: ignore[union-attr]


def watch_deferred(engine: Engine) -> None:
    """Send deferred writes with every commit; drop them on rollback and pool reset."""

    def flush(conn: Connection) -> None:
        conn.info.pop(_AHEAD, None)  # never asked for within the transaction
        if conn.info.get(_DEFERRED):
            # Committed here, so the driver's own commit that follows finds nothing to do.
            run_pipelined(conn, [(_COMMIT, {})])

    def drop(conn: Connection) -> None:
        conn.info.pop(_DEFERRED, None)
        conn.info.pop(_AHEAD, None)

    def reset(_dbapi: Any, record: Any, _state: Any) -> None:
        record.info.pop(_DEFERRED, None)
        record.info.pop(_AHEAD, None)

    event.listen(engine, "commit", flush)
    event.listen(engine, "rollback", drop)
    event.listen(engine, "reset", reset)
