"""Shared fixtures: a migrated hub on SQLite and on PostgreSQL, with three jurisdictions.

Storage and API tests take ``hub`` (or ``hub_client``) and so run once per backend.
PostgreSQL tests skip with a reason when no server answers, unless LPX_REQUIRE_POSTGRES=1
(as in CI), where a missing server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.storage.db import make_engine, migrate
from lpx.storage.tables import metadata

PG_ADMIN_URL = os.environ.get(
    "LPX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
JURISDICTIONS = {"CA": "California", "NY": "New York", "TX": "Texas"}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_engine() -> Iterator[Engine]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("LPX_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (LPX_REQUIRE_POSTGRES=1) but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}; start it to run these tests")
    name = f"lpx_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "hub.db"
        eng = make_engine(f"sqlite:///{path}")
        migrate(eng)
        yield eng
        eng.dispose()
    else:
        for eng in _pg_engine():
            migrate(eng)
            yield eng


@pytest.fixture(params=BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the test's own (not migrated), for tests that migrate it."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
        yield eng
        eng.dispose()
    else:
        yield from _pg_engine()


@pytest.fixture
def clean_engine(engine: Engine) -> Engine:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return engine


@pytest.fixture
def settings(tmp_path: Path, clean_engine: Engine) -> Settings:
    return Settings(database_url=str(clean_engine.url), data_dir=tmp_path / "hub")


@pytest.fixture
def hub(settings: Settings, clean_engine: Engine) -> Hub:
    hub = build_hub(settings, engine=clean_engine)
    for code, name in JURISDICTIONS.items():
        hub.access.add_jurisdiction(code, name)
    return hub


@pytest.fixture
def credentials(hub: Hub) -> dict[str, str]:
    """One system API key per jurisdiction, with the clerk and records roles."""
    return {
        code: hub.access.issue_credential(code, "system", [Role.CLERK, Role.RECORDS])
        for code in JURISDICTIONS
    }


@pytest.fixture
def hub_client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as client:
        yield client
