"""Deferred writes and reads sent ahead on PostgreSQL (lpx/storage/pipeline.py): an inquiry
row waits for the next pipeline of its transaction, is never lost at commit, and never
outlives a rollback on a pooled connection; a search's candidate read rides with the
guard's round trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, event, func, select

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Identity
from lpx.storage import tables as t
from lpx.storage.pipeline import _AHEAD, _DEFERRED, Ahead, PgStatement, run_pipelined
from lpx.storage.repositories import InquiryRepository

_COUNT_SA = select(func.count()).select_from(t.inquiries).where(
    t.inquiries.c.user_id == "pipeline-test")
_COUNT = PgStatement(_COUNT_SA)


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes at once: there is no round trip to save")
    return engine


def _add(conn: Connection) -> str:
    inquiry_id = str(uuid.uuid4())
    InquiryRepository(conn).add(inquiry_id, "CA", "pipeline-test", "license_issuance", 0)
    return inquiry_id


def _stored(engine: Engine, inquiry_id: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(select(t.inquiries.c.id)
                             .where(t.inquiries.c.inquiry_id == inquiry_id)).first()  # fmt: skip
    return found is not None


def test_a_deferred_write_goes_with_the_next_pipeline(pg: Engine) -> None:
    with pg.connect() as conn:
        conn.begin()
        _add(conn)
        assert conn.execute(_COUNT_SA).scalar_one() == 0  # still waiting on the client
        [[(count,)]] = run_pipelined(conn, [(_COUNT, {})])
        assert count == 1  # sent first, in the same round trip as the read
        conn.rollback()


def test_a_commit_sends_what_is_still_deferred(pg: Engine) -> None:
    with pg.begin() as conn:
        inquiry_id = _add(conn)
    assert _stored(pg, inquiry_id)


def test_a_rollback_drops_it_for_good(pg: Engine) -> None:
    with pg.connect() as conn:
        conn.begin()
        dropped = _add(conn)
        conn.rollback()
        conn.begin()
        kept = _add(conn)
        conn.commit()
    assert not _stored(pg, dropped)
    assert _stored(pg, kept)


def test_a_connection_closed_mid_transaction_leaves_nothing_for_its_next_user(pg: Engine) -> None:
    with pg.connect() as conn:
        conn.begin()
        dropped = _add(conn)
        pooled = conn.info  # the pooled DBAPI connection's, kept across checkouts
        assert pooled.get(_DEFERRED)
    assert _DEFERRED not in pooled
    assert not _stored(pg, dropped)


def test_a_read_sent_ahead_rides_the_next_pipeline_after_the_deferred_writes(pg: Engine) -> None:
    with pg.connect() as conn:
        conn.begin()
        before = conn.execute(_COUNT_SA).scalar_one()
        _add(conn)
        read = Ahead(conn, _COUNT, {})
        [[(one,)]] = run_pipelined(conn, [(PgStatement("SELECT 1"), {})])
        assert one == 1  # the caller's own results, without the read's
        assert read.fetched == [(before + 1,)]  # sent in that pipeline, after the insert
        assert read.rows() == [(before + 1,)]
        conn.rollback()


def test_a_read_no_pipeline_took_runs_when_asked(pg: Engine) -> None:
    with pg.connect() as conn:
        conn.begin()
        before = conn.execute(_COUNT_SA).scalar_one()
        read = Ahead(conn, _COUNT, {})
        assert read.fetched is None
        assert read.rows() == [(before,)]
        assert _AHEAD not in conn.info  # not sent again by the next pipeline
        conn.rollback()


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_read_never_asked_for_ends_with_its_transaction(pg: Engine, end: str) -> None:
    with pg.connect() as conn:
        conn.begin()
        read = Ahead(conn, _COUNT, {})
        getattr(conn, end)()
        assert _AHEAD not in conn.info
        conn.begin()
        run_pipelined(conn, [(PgStatement("SELECT 1"), {})])
        assert read.fetched is None
        conn.rollback()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch, pg: Engine) -> Iterator[list[str]]:
    """Each pipeline and each statement SQLAlchemy sends on its own: a round trip each."""
    sent: list[str] = []
    pipeline = psycopg.Connection.pipeline

    def counted(self: psycopg.Connection[Any]) -> Any:
        sent.append("pipeline")
        return pipeline(self)

    def executed(*args: Any) -> None:
        sent.append(args[2].split()[0])

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    event.listen(pg, "before_cursor_execute", executed)
    yield sent
    event.remove(pg, "before_cursor_execute", executed)


def test_a_guarded_search_takes_three_round_trips(hub: Hub, round_trips: list[str]) -> None:
    """Guard and candidate read, audit counter (with the inquiry row), entry and COMMIT."""
    clerk = Actor("CA", f"clerk-{uuid.uuid4().hex[:8]}", frozenset({Role.CLERK}), 1)
    inquiry = SearchInquiry(Identity(first_name="Ann", last_name="Lee", dob=date(1990, 1, 2)),
                            Purpose.LICENSE_ISSUANCE)  # fmt: skip
    hub.search.search(clerk, inquiry)  # warm: the first search also loads keys and caches
    round_trips.clear()
    hub.search.search(clerk, inquiry)
    assert round_trips == ["pipeline"] * 3
