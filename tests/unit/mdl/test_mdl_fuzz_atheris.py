"""The atheris harness (fuzz/fuzz_mdl_verify.py) runs a bounded campaign without a crash.

It runs in a subprocess because libFuzzer owns the process and exits on the first crash.
Set LPX_MDL_ATHERIS_RUNS for a longer campaign. The canary run shows a crash is reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HARNESS = ROOT / "fuzz" / "fuzz_mdl_verify.py"
RUNS = int(os.environ.get("LPX_MDL_ATHERIS_RUNS", "5000"))
HANG_GUARD = 900  # seconds; only so a hung fuzzer cannot stall the suite, never a speed check


def run_harness(tmp_path: Path, runs: int, **env: str) -> subprocess.CompletedProcess[str]:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    return subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={runs}",
            "-seed=1",
            "-max_len=16384",
            f"-artifact_prefix={artifacts}/",
            str(tmp_path / "corpus"),
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=tmp_path,
        env={**os.environ, **env},
        check=False,
    )


def test_fuzzing_the_verifier_finds_no_crash(tmp_path: Path) -> None:
    result = run_harness(tmp_path, RUNS)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"Done {RUNS} runs" in result.stderr
    assert not list((tmp_path / "artifacts").iterdir())
    seeds = sorted(p.name for p in (tmp_path / "corpus").iterdir() if p.name.startswith("seed-"))
    assert seeds == ["seed-0.cbor", "seed-1.cbor", "seed-2.cbor"]


def test_a_crash_is_reported(tmp_path: Path) -> None:
    """Canary mode treats a verifying input as a crash: libFuzzer must stop and say so."""
    result = run_harness(tmp_path, 100, LPX_FUZZ_CANARY="1")
    assert result.returncode != 0
    assert "canary: an input verified" in result.stdout + result.stderr
    assert [p.name[:6] for p in (tmp_path / "artifacts").iterdir()] == ["crash-"]
