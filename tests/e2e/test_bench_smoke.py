"""The benchmark still runs: `python -m bench --smoke` prints every figure (timings unchecked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import dovecot_installed

from bench.figures import FIGURE_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_smoke_run_prints_every_figure(tmp_path: Path) -> None:
    if not dovecot_installed() and not os.environ.get("CI"):
        pytest.skip("the benchmark needs Dovecot (apt-get install dovecot-imapd)")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--work", str(tmp_path / "work")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    lines = done.stdout.splitlines()
    for key in (key for keys in FIGURE_KEYS.values() for key in keys):
        found = [line for line in lines if line.startswith(f"FIGURE {key}: ")]
        assert len(found) == 1, f"no line for {key} in:\n{done.stdout}"
        assert " | floor " in found[0] and " | ratio " in found[0], found[0]
    assert any(line.startswith("  IMAP commands per steady-state poll") for line in lines)
