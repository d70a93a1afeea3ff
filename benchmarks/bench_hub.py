"""What the hub benchmarks share: a fresh hub database per run and records built directly."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Sex, SsnTokens, Status
from lpx.storage.db import make_engine, migrate
from lpx.synth import DEFAULT_STATES


def fresh_hub(backend: str, pg_url: str, data_dir: Path, prefix: str,
              keep: str | None = None) -> tuple[Hub, str, Callable[[], None] | None]:  # fmt: skip
    """A migrated hub with the synth states: on SQLite in ``data_dir``, on PostgreSQL in a
    database of its own (``prefix`` + pid, so two runs never share one). Returns the hub,
    its URL and what drops the database (None on SQLite).

    With ``keep`` the PostgreSQL database has that name and is opened as it is if it
    exists (a seeded hub reused with the same ``data_dir``); nothing drops it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'hub.db'}"
    else:
        admin = _admin(pg_url)
        db = keep or f"{prefix}_{os.getpid()}"
        url = pg_url.rsplit("/", 1)[0] + "/" + db
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": db}).first() is not None  # fmt: skip
            if keep and exists:
                admin.dispose()
                hub = build_hub(Settings(database_url=url, data_dir=data_dir),
                                engine=make_engine(url))  # fmt: skip
                migrate(hub.engine)  # a hub kept from an earlier revision
                return hub, url, None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        drop = _dropper(admin, db)
    hub = build_hub(Settings(database_url=url, data_dir=data_dir), engine=make_engine(url))
    migrate(hub.engine)
    for code in DEFAULT_STATES:
        hub.access.add_jurisdiction(code, code)
    return hub, url, None if keep else drop


def clone_database(pg_url: str, template: str, name: str) -> tuple[str, Callable[[], None]]:
    """A copy of the database ``template`` (a seeded hub kept with ``fresh_hub(keep=...)``)
    as ``name``, made by PostgreSQL's file copy, far faster than seeding again; returns its
    URL and what drops it. Nothing may be connected to the template meanwhile.

    From PostgreSQL 15 the default strategy copies through the WAL: for a 12 GB hub that
    was 12 GB of WAL (pg_stat_wal), and the checkpoints it forces fell into the timed run.
    FILE_COPY copied the same hub in 29 s.
    """
    admin = _admin(pg_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        pg15 = int(conn.execute(text("SHOW server_version_num")).scalar_one()) >= 150000
        strategy = " STRATEGY FILE_COPY" if pg15 else ""
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}'))
    return pg_url.rsplit("/", 1)[0] + "/" + name, _dropper(admin, name)


def _admin(pg_url: str) -> Engine:
    return create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                         isolation_level="AUTOCOMMIT")  # fmt: skip


def _dropper(admin: Engine, name: str) -> Callable[[], None]:
    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return drop


def prewarm(engine: Engine) -> None:
    """A copied hub as warm as one in service: every relation read into the OS cache, then
    the indexes (every lookup descends them) into shared buffers. A fresh copy starts with
    none of its pages in shared buffers, and its first batches would pay reads that a
    running hub does not."""
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        rels = conn.execute(text(
            "SELECT c.oid::regclass::text, c.relkind FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i') "
            "ORDER BY c.relkind DESC, pg_relation_size(c.oid)")).all()  # fmt: skip
        for rel, kind in rels:
            conn.execute(text("SELECT pg_prewarm(:r, :mode)"),
                         {"r": rel, "mode": "buffer" if kind == "i" else "read"})  # fmt: skip
        conn.commit()


def vacuum_analyze(engine: Engine) -> None:
    """What the server would do soon after a bulk load, done before timing rather than
    during it: statistics for the planner, the visibility map that lets the candidate
    query read ``pointer_blocks`` by index alone, and a checkpoint. The load and the vacuum
    leave gigabytes of dirty pages at 1M rows; the checkpointer would otherwise write them
    out while the searches are timed, and their commits would wait behind those writes.
    PostgreSQL only (CHECKPOINT needs a superuser or pg_checkpoint)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("CHECKPOINT"))


@contextmanager
def blocks_indexed_after(engine: Engine) -> Iterator[None]:
    """Seed with ``pointer_blocks`` unindexed and build its indexes once at the end, as a
    bulk load of a fresh table is done: ~18 keys a pointer are 180M random inserts into two
    B-trees at 10M pointers, which slowed seeding to half its speed and took the server's
    CPU away from the seeding workers. The seeded hub is the same. Nothing may read the
    blocks meanwhile (seeding opens no cases). PostgreSQL only; SQLite seeds as it is."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.begin() as conn:
        pk = conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'pointer_blocks'::regclass AND contype = 'p'")).all()  # fmt: skip
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'pointer_blocks' "
            "AND indexname <> ALL(:pk)"), {"pk": [n for n, _ in pk]}).all()  # fmt: skip
        for name, _ in pk:
            conn.execute(text(f'ALTER TABLE pointer_blocks DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    try:
        yield
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            for name, definition in pk:
                conn.execute(text(f'ALTER TABLE pointer_blocks ADD CONSTRAINT "{name}" '
                                  f"{definition}"))  # fmt: skip
            for _, definition in indexes:
                conn.execute(text(definition))


def record_of(state: str, p: dict[str, Any]) -> PointerRecord:
    """The hub's domain record for a parsed row, built directly (the API would use Pydantic)."""
    ssn = p["ssn"]
    return PointerRecord(
        jurisdiction=state, record_id=p["record_id"],
        identity=Identity(
            first_name=p["first_name"], last_name=p["last_name"],
            dob=date.fromisoformat(p["dob"]), middle_name=p["middle_name"],
            suffix=p["suffix"], sex=Sex(p["sex"]) if p["sex"] else None,
            aka_names=tuple(p["aka_names"]),
            ssn=SsnTokens(ssn["full"], tuple(ssn["masked"])) if ssn else None,
        ),
        card=Card(CardType(p["card_type"]), p["real_id"], Status(p["status"]),
                  date.fromisoformat(p["issue_date"]) if p["issue_date"] else None,
                  date.fromisoformat(p["expiry_date"]) if p["expiry_date"] else None),
    )  # fmt: skip
