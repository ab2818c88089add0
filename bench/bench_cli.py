"""Start-up latency of the CLI: `guide --help` and an argument error vs `python -c pass`.

    python bench/bench_cli.py

Target (issue 2): both answer in under 1 s (fastai and torch are imported lazily).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

GUIDE = str(Path(sys.executable).with_name("guide"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "guide --help": [GUIDE, "--help"],
    "guide run --loss nope": [GUIDE, "run", "--loss", "nope"],
    "guide run --steps -1": [GUIDE, "run", "--steps", "-1"],
    "guide train --arch resnet-18": [GUIDE, "train", "--arch", "resnet-18"],
}


def median_seconds(command: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    table = Table(title="CLI start-up (median of 5)")
    for header in ("command", "seconds", "vs python -c pass"):
        table.add_column(header, justify="right" if header != "command" else "left")
    baseline = None
    for name, command in COMMANDS.items():
        seconds = median_seconds(command)
        baseline = baseline or seconds
        table.add_row(name, f"{seconds:.2f}", f"{seconds / baseline:.1f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
