"""The migrations build exactly the schema the code declares: a column, index or table added
to a ``*_tables`` module without a migration (or the other way round) fails here."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import lpx.storage
from lpx.storage.tables import metadata


def test_the_migrated_database_matches_the_declared_tables(engine: Engine) -> None:
    for module in pkgutil.iter_modules(lpx.storage.__path__):  # every module declaring tables
        importlib.import_module(f"lpx.storage.{module.name}")
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
