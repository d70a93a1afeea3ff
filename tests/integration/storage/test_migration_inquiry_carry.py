"""Migration 0011: inquiries gain ``shown`` and ``carried``, and the downgrade drops them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from lpx.storage.db import alembic_config, migrate


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("inquiries")}


def test_upgrade_adds_the_carry_columns_and_downgrade_drops_them(own_engine: Engine) -> None:
    migrate(own_engine)
    assert {"shown", "carried"} <= _columns(own_engine)
    command.downgrade(alembic_config(own_engine), "0010")
    assert not {"shown", "carried"} & _columns(own_engine)
    migrate(own_engine)
    assert {"shown", "carried"} <= _columns(own_engine)
