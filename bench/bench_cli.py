"""Start-up latency of the CLI: `guide --help` and an argument error vs `python -c pass`.

    python bench/bench_cli.py [--quick]

Target (issue 2): both answer in under 1 s (fastai and torch are imported lazily).
No config default counts here: each argument error is raised before a model or data set is loaded.
--quick: each command once instead of the median of 5; checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each command once (CI)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 5
    table = Table(title=f"CLI start-up (median of {repeats})")
    for header in ("command", "seconds", "vs python -c pass"):
        table.add_column(header, justify="right" if header != "command" else "left")
    baseline = None
    for name, command in COMMANDS.items():
        seconds = median_seconds(command, repeats)
        baseline = baseline or seconds
        table.add_row(name, f"{seconds:.2f}", f"{seconds / baseline:.1f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
