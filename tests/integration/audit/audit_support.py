"""Builders for the audit tests: an app serving the audit routes, an entry recorder, and a
copy of the whole database (and hub) that a test can tamper with."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text

from lpx.api.app import create_app
from lpx.api.routes import audit as audit_routes
from lpx.audit import AuditService
from lpx.audit.entries import Action, AuditEntry, AuditEvent
from lpx.bootstrap import Hub, build_hub
from lpx.storage.db import make_engine

PG_ADMIN_URL = os.environ.get(  # as in tests/conftest.py
    "LPX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def audit_app(hub: Hub, service: AuditService) -> FastAPI:
    app = create_app(hub)
    app.include_router(audit_routes.router)
    app.state.audit = service
    return app


@dataclass
class Recorder:
    """Appends entries the way services will: on a transaction that then commits."""

    engine: Engine
    service: AuditService

    def __call__(self, actor: str = "CA", touched: tuple[str, ...] = ("NY",),
                 action: Action = Action.INQUIRY_SEARCH, count: int = 1) -> AuditEntry:  # fmt: skip
        event = AuditEvent(actor, "clerk-1", ("clerk",), action, "license_issuance",
                           tuple(str(uuid.uuid4()) for _ in range(count)), frozenset(touched),
                           (str(uuid.uuid4()),), count)  # fmt: skip
        with self.engine.begin() as conn:
            return self.service.log.append(conn, event)


@contextmanager
def copied_hub(hub: Hub) -> Iterator[Hub]:
    """A second hub over a byte-for-byte copy of ``hub``'s database and the same key files."""
    engine = hub.engine
    if engine.dialect.name == "sqlite":
        path = str(engine.url.database)
        copy_path = f"{path}.{uuid.uuid4().hex[:8]}.copy"
        src, dst = sqlite3.connect(path), sqlite3.connect(copy_path)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        copy = make_engine(f"sqlite:///{copy_path}")
        try:
            yield build_hub(hub.settings, engine=copy)
        finally:
            copy.dispose()
        return
    name = f"{engine.url.database}_copy_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    engine.dispose()  # a template database must have no other connections
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{engine.url.database}"'))
    copy = make_engine(engine.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield build_hub(hub.settings, engine=copy)
    finally:
        copy.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
