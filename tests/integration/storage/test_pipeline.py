"""Deferred writes on PostgreSQL (lpx/storage/pipeline.py): an inquiry row waits for the
next pipeline of its transaction, is never lost at commit, and never outlives a rollback
on a pooled connection."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, Engine, func, select

from lpx.storage import tables as t
from lpx.storage.pipeline import _DEFERRED, PgStatement, run_pipelined
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
