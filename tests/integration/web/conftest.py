"""Console fixtures: the hub's app (both backends), seeded with a CA-NY case and transfers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_support import Seeded, seed
from fastapi.testclient import TestClient

from lpx.api.app import create_app
from lpx.bootstrap import Hub


@pytest.fixture
def console(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub)) as client:
        yield client


@pytest.fixture
def seeded(hub: Hub, console: TestClient) -> Seeded:
    return seed(hub, console)
