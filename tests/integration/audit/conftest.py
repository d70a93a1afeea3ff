"""Audit fixtures: the hub's audit service, an app serving the audit routes, state keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audit_support import Recorder, audit_app
from fastapi.testclient import TestClient

from lpx.audit import AuditService, build_audit
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub


@pytest.fixture
def audit(hub: Hub) -> AuditService:
    return build_audit(hub.settings, hub.engine)


@pytest.fixture
def keys(hub: Hub) -> dict[str, str]:
    """State-admin keys for CA and NY, plus an auditor's, a clerk's and a records key."""
    issue = hub.access.issue_credential
    return {
        "CA": issue("CA", "verifier", [Role.STATE_ADMIN]),
        "NY": issue("NY", "verifier", [Role.STATE_ADMIN]),
        "auditor": issue("TX", "auditor", [Role.AUDITOR]),
        "clerk": issue("CA", "clerk", [Role.CLERK]),
        "records": issue("CA", "system", [Role.RECORDS]),
    }


@pytest.fixture
def client(hub: Hub, audit: AuditService) -> Iterator[TestClient]:
    with TestClient(audit_app(hub, audit)) as c:
        yield c


@pytest.fixture
def record(hub: Hub, audit: AuditService) -> Recorder:
    return Recorder(hub.engine, audit)
