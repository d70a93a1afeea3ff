"""Fail closed: when the audit entry cannot be written, the request is refused and the
data change it would have recorded does not happen (one transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import Engine, text

from lpx.bootstrap import Hub

TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit storage unavailable'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_down() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit storage unavailable'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_down()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER audit_down"],
    "postgresql": ["DROP TRIGGER audit_down ON audit_entries", "DROP FUNCTION audit_down()"],
}


@pytest.fixture
def audit_down(clean_engine: Engine) -> Iterator[Engine]:
    dialect = clean_engine.dialect.name
    with clean_engine.begin() as conn:
        for stmt in TRIGGERS[dialect]:
            conn.execute(text(stmt))
    yield clean_engine
    with clean_engine.begin() as conn:
        for stmt in DROP[dialect]:
            conn.execute(text(stmt))


def test_writes_and_inquiries_are_refused_without_audit(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], audit_down: Engine
) -> None:
    ca = auth(credentials["CA"])
    write = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("D1")]}, headers=ca)
    search = hub_client.post("/v1/inquiries/search", headers=ca, json={
        "first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05",
        "purpose": "license_issuance"})  # fmt: skip
    for resp in (write, search):
        assert resp.status_code == 503
        assert resp.headers["content-type"] == "application/problem+json"
        assert "nothing was changed" in resp.json()["detail"]
    with audit_down.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pointers")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM inquiries")).scalar_one() == 0
