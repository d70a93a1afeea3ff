"""Migration 0009: pointer_blocks loses its foreign key, and the downgrade gives it back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, text

from lpx.storage.db import alembic_config, migrate


def _foreign_keys(engine: Engine) -> list[dict[str, object]]:
    return list(inspect(engine).get_foreign_keys("pointer_blocks"))


def _without_rowid(engine: Engine) -> bool:
    with engine.connect() as conn:
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'pointer_blocks'"))
        return "WITHOUT ROWID" in str(sql.scalar_one()).upper()


def test_upgrade_drops_the_foreign_key_and_downgrade_restores_it(own_engine: Engine) -> None:
    migrate(own_engine)
    assert _foreign_keys(own_engine) == []
    command.downgrade(alembic_config(own_engine), "0008")
    fks = _foreign_keys(own_engine)
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in fks] == [
        ("pointers", ["pointer_pk"])
    ]
    assert fks[0]["options"] == {"ondelete": "CASCADE"}
    migrate(own_engine)
    assert _foreign_keys(own_engine) == []
    if own_engine.dialect.name == "sqlite":
        assert _without_rowid(own_engine)
    indexes = {ix["name"] for ix in inspect(own_engine).get_indexes("pointer_blocks")}
    assert "ix_pointer_blocks_pointer_pk" in indexes
