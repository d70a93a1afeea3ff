"""A process that serves the hub (``uvicorn --factory``, ``lpx serve``) tunes its collector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lpx.bootstrap import GC_YOUNG_THRESHOLD, Hub
from lpx.config import Settings

PROBE = """
import gc
from lpx.api.app import create_app
before = gc.get_threshold()[0], gc.get_freeze_count()
create_app()
print(*before, gc.get_threshold()[0], gc.get_freeze_count())
"""


def test_the_factory_tunes_the_collector_of_its_process(hub: Hub, settings: Settings,
                                                         tmp_path: Path) -> None:  # fmt: skip
    # A child process: the setting is process-wide, and this test run's own must not change.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    env.update(LPX_DATABASE_URL=settings.database_url, LPX_DATA_DIR=str(settings.data_dir))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True)  # fmt: skip
    young_before, frozen_before, young, frozen = map(int, out.stdout.split())
    assert (young_before, frozen_before) == (700, 0)  # CPython's defaults, untouched by import
    assert young == GC_YOUNG_THRESHOLD
    assert frozen > 0  # start-up's objects: out of every later collection's way
