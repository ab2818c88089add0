"""README's first command on a fresh machine, and the headline at batch 64, side by side.

    python bench/bench_first_run.py [--data DIR]

1. A fresh offline machine: an empty model cache, no MNIST anywhere (the embedded sample) and no
   network (GUIDE_OFFLINE=1): wall time of `guide run --start noise --loss l1 --steps 500`.
   Target: its result within 60 s after `pip install` finishes.
2. The headline at batch 64 (full MNIST from --data, else the sample): share of images the kit
   calls `generated` and wall time. Targets: >= 80% generated, <= 30 s on 2 cores.
Both run the CLI in a subprocess, cache empty, so nothing is trained or loaded before.
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

from rich.console import Console
from rich.table import Table

HEADLINE = ["run", "--start", "noise", "--loss", "l1", "--steps", "500"]


def timed_run(options: list[str], data: str | None, folder: Path) -> tuple[float, dict]:
    env = {**os.environ, "GUIDE_HOME": str(folder / "home"), "GUIDE_OFFLINE": "1"}
    env.pop("GUIDE_DATA", None)
    command = [sys.executable, "-m", "guidance", *HEADLINE, *options, "--out", str(folder / "run")]
    if data:
        command += ["--data", data]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=folder)
    seconds = time.perf_counter() - started
    return seconds, json.loads((folder / "run" / "summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="full MNIST for the batch-64 row")
    args = parser.parse_args()
    table = Table(title="README's first command, from an empty cache")
    for header in ("case", "data", "generated", "wall s", "target"):
        table.add_column(header, justify="left" if header in ("case", "data", "target") else "right")
    cases = [("fresh offline machine, batch 1", [], None, "<= 60 s"),
             ("headline, batch 64", ["--batch", "64"], args.data, ">= 80% generated, <= 30 s")]
    for name, options, data, target in cases:
        with tempfile.TemporaryDirectory() as folder:
            seconds, summary = timed_run(options, data, Path(folder))
        generated = summary["verdicts"]["generated"]
        table.add_row(name, summary["data"], f"{generated}/{len(summary['images'])}", f"{seconds:.1f}", target)
    Console().print(table)


if __name__ == "__main__":
    main()
