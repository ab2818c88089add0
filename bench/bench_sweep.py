"""A 24-point sweep on this machine: 1 worker, 2 local workers and Ray, side by side in one run.

    python bench/bench_sweep.py [--data DIR] [--quick]

Each mode runs `guide sweep` in a subprocess on an empty sweep folder (models shipped, so
nothing trains). Targets: 2 local workers >= 1.5x faster than 1; Ray within 20% of the
local workers; peak memory per worker <= 1 GB; every point's images byte-identical to the
same config run alone with `guide run` (checked on 4 points through the CLI; the sweep
tests check the rest of the mechanism).

The grid names the workload the figures were measured with (param 'blur', stop_each=false:
16 images x 300 steps a point), not RunConfig's defaults today: param='auto' would draw pen paths
from noise, with restart_every=50, and stop_each=True would stop images early. early_stop=False
is the default. Every mode runs the same grid, so they do equal work.
--quick: 2 points of 2 images x 3 steps, the same three modes and one point run alone, one torch
thread and a small copy of the data (bench/quick.py). Checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quick import quick_setup
from rich.console import Console
from rich.table import Table

GRID = """
name = "bench-sweep"
[base]
model = "robust"
start = "noise"
param = "blur"
stop_each = false
batch = {batch}
steps = {steps}
[axes]
{axes}
"""
AXES = 'loss = ["logit", "l1", "ce", "margin"]\nlr = [0.03, 0.05, 0.1]\nseed = [0, 1]'


def guide(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "guidance", *args], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--quick", action="store_true", help="2 points of 2 images x 3 steps, small data (CI)")
    args = parser.parse_args(argv)
    points, batch, steps, axes = 24, 16, 300, AXES
    if args.quick:
        points, batch, steps, axes, args.data = 2, 2, 3, 'loss = ["logit", "l1"]', quick_setup(args.data)
    data = ["--data", args.data] if args.data else []
    console = Console()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {**os.environ, "GUIDE_HOME": str(root / "home"), "GUIDE_OFFLINE": "1"}
        (root / "grid.toml").write_text(GRID.format(batch=batch, steps=steps, axes=axes))
        table = Table(title=f"{points}-point sweep (robust model, {batch} images x {steps} steps a point), "
                            f"{os.cpu_count()} CPU cores")
        for header in ("mode", "wall s", "speed-up vs 1 worker", "peak RSS per worker", "target"):
            table.add_column(header, justify="left" if header in ("mode", "target") else "right")
        times = {}
        for mode, options, target in (("1 worker", ["--workers", "1"], "-"),
                                      ("2 local workers", ["--workers", "2"], ">= 1.5x"),
                                      ("Ray, 2 workers (local instance)", ["--workers", "2", "--ray"], "within 20% of local")):
            times[mode] = guide("sweep", str(root / "grid.toml"), "--out", str(root / mode.split()[0]), *options, *data, env=env)
            peaks = json.loads((root / mode.split()[0] / "status.json").read_text())["worker_peak_rss_mb"]
            rss = ", ".join(f"{mb / 1024:.2f} GiB" for mb in peaks)
            table.add_row(mode, f"{times[mode]:.1f}", f"{times['1 worker'] / times[mode]:.2f}x", rss,
                          target + ("; <= 1 GB a worker" if mode != "1 worker" else ""))
        console.print(table)
        console.print(f"Ray / local workers: {times['Ray, 2 workers (local instance)'] / times['2 local workers']:.2f}x the time")
        alone = sorted((root / "2" / "points").iterdir())[::6]
        same = 0
        for point in alone:
            guide("run", "--config", str(point / "config.toml"), "--out", str(root / "alone" / point.name), *data, env=env)
            same += filecmp.cmp(point / "images.npz", root / "alone" / point.name / "images.npz", shallow=False)
            same += filecmp.cmp(point / "images.npz", root / "Ray," / "points" / point.name / "images.npz", shallow=False)
        console.print(f"byte-identical images.npz: {same} of {2 * len(alone)} comparisons "
                      f"({len(alone)} points: 2-worker sweep vs `guide run` alone, and vs the Ray sweep)")
        console.print("peak RSS per worker: each worker's own getrusage peak, from the sweep's status.json "
                      "(with 1 worker, the `guide sweep` process itself)")


if __name__ == "__main__":
    main()
