"""Every bench script's --quick mode still runs and prints its table (bench/quick.py says what quick means)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each starts the kit in a subprocess, most on the full data sets
BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted([*BENCH.glob("bench_*.py"), *BENCH.glob("figures_*.py")])
WITHOUT_FULL_DATA = {"bench_browse", "bench_cli", "bench_loop", "figures_terminal"}  # the rest read full MNIST or Fashion-MNIST
TOOLS = {"figures_terminal": "tmux"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_quick_mode_prints_its_table(script: Path, request) -> None:
    tool = TOOLS.get(script.stem)
    if tool and shutil.which(tool) is None:
        pytest.skip(f"{script.name} needs {tool}")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # rich draws its boxes in UTF-8
    if script.stem not in WITHOUT_FULL_DATA:
        env["GUIDE_DATA"] = str(request.getfixturevalue("shared_data_root"))
    done = subprocess.run([sys.executable, str(script), "--quick"], cwd=BENCH.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "┃" in done.stdout and "│" in done.stdout, f"no table with a header and a row:\n{done.stdout[-3000:]}"
