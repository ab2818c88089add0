"""README's first command on a fresh machine, and the headline at batch 64, side by side.

    python bench/bench_first_run.py [--data DIR] [--quick]

1. A fresh offline machine: an empty model cache, no MNIST anywhere (the embedded sample) and no
   network (GUIDE_OFFLINE=1): wall time of `guide run --start noise --loss l1 --steps 500`.
   Target: its result within 60 s after `pip install` finishes.
2. The headline at batch 64 (full MNIST from --data, else the sample): share of images the kit
   calls `generated` and wall time. Targets: >= 80% generated, <= 30 s on 2 cores.
Both run the CLI in a subprocess, cache empty, so nothing is trained or loaded before.

The command is RunConfig's defaults but for --start, --loss and --steps: the robust10 model, param
'auto' (a pen path from noise on MNIST), stop_each=True (each image stops at p >= 0.99, threshold),
restart_every=50 (a pen path still short of it then starts again), early_stop=False, the verdicts on.
--quick: 3 steps, batch 2 for the headline row, a small copy of the data (bench/quick.py) and one
torch thread; the first row still reads the embedded sample. Checks that the script runs and prints
its table.
"""

from __future__ import annotations

import argparse
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

HEADLINE = ["run", "--start", "noise", "--loss", "l1"]


def timed_run(options: list[str], data: str | None, folder: Path, steps: int = 500) -> tuple[float, dict]:
    env = {**os.environ, "GUIDE_HOME": str(folder / "home"), "GUIDE_OFFLINE": "1"}
    env.pop("GUIDE_DATA", None)
    command = [sys.executable, "-m", "guidance", *HEADLINE, "--steps", str(steps), *options, "--out", str(folder / "run")]
    if data:
        command += ["--data", data]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=folder)
    seconds = time.perf_counter() - started
    return seconds, json.loads((folder / "run" / "summary.json").read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="full MNIST for the batch-64 row")
    parser.add_argument("--quick", action="store_true", help="3 steps, batch 2, small data (CI)")
    args = parser.parse_args(argv)
    steps, batch = 500, 64
    if args.quick:
        steps, batch, args.data = 3, 2, quick_setup(args.data)
    table = Table(title=f"README's first command ({steps} steps), from an empty cache")
    for header in ("case", "data", "generated", "wall s", "target"):
        table.add_column(header, justify="left" if header in ("case", "data", "target") else "right")
    cases = [("fresh offline machine, batch 1", [], None, "<= 60 s"),
             (f"headline, batch {batch}", ["--batch", str(batch)], args.data, ">= 80% generated, <= 30 s")]
    for name, options, data, target in cases:
        with tempfile.TemporaryDirectory() as folder:
            seconds, summary = timed_run(options, data, Path(folder), steps)
        generated = summary["verdicts"]["generated"]
        table.add_row(name, summary["data"], f"{generated}/{len(summary['images'])}", f"{seconds:.1f}", target)
    Console().print(table)


if __name__ == "__main__":
    main()
