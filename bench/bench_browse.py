"""`guide list` and `guide show` on a results folder of 100 runs, against `python -c pass`.

    python bench/bench_browse.py [--quick]

Target (issue 6): both answer in <= 1.5 s, and neither imports torch or fastai.
The 100 runs are copies of the committed showcase runs (results/showcase/runs).
No config default counts here: `guide list` and `guide show` only read what the run folders hold. The
views' own defaults do: `guide list` prints the columns that fit (80 in a pipe; `--wide` all of them)
and `guide show` as many frames as fit, so a wider default view costs more.
--quick: 8 runs, each command once; checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

SHOWCASE = Path(__file__).resolve().parents[1] / "results" / "showcase" / "runs"
IMPORTS = "import sys; from guidance.cli import app; app({args}, standalone_mode=False); " \
          "print('HEAVY', any(m in sys.modules for m in ('torch', 'fastai')))"


def build_results(root: Path, count: int = 100) -> list[Path]:
    templates = sorted(p for p in SHOWCASE.iterdir() if (p / "summary.json").is_file())
    folders = []
    for i in range(count):
        folder = root / f"20261122-{i:06d}-run{i}"
        shutil.copytree(templates[i % len(templates)], folder)
        summary = json.loads((folder / "summary.json").read_text())
        summary["experiment"] = f"{summary['experiment']}-{i % 7}"
        (folder / "summary.json").write_text(json.dumps(summary))
        folders.append(folder)
    return folders


def timed(command: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 runs, each command once (CI)")
    quick = parser.parse_args(argv).quick
    count, repeats = (8, 1) if quick else (100, 5)
    guide = str(Path(sys.executable).with_name("guide"))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folders = build_results(root, count)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            f"guide list ({count} runs)": [guide, "list", "--root", str(root)],
            "guide list --sort generated": [guide, "list", "--root", str(root), "--sort", "generated"],
            "guide show RUN": [guide, "show", str(folders[2])],
            "guide show RUN --frames all --images 8": [guide, "show", str(folders[2]), "--frames", "all", "--images", "8"],
        }
        table = Table(title=f"browsing {count} runs (median of {repeats})")
        for header in ("command", "seconds", "target"):
            table.add_column(header, justify="right")
        for name, command in commands.items():
            table.add_row(name, f"{timed(command, repeats):.2f}", "-" if name.startswith("python") else "<= 1.5")
        Console().print(table)
        for args in (["list", "--root", str(root)], ["show", str(folders[2])]):
            output = subprocess.run([sys.executable, "-c", IMPORTS.format(args=args)], capture_output=True, text=True).stdout
            print(f"guide {args[0]} imports torch or fastai: {output.strip().splitlines()[-1].split()[-1]}")


if __name__ == "__main__":
    main()
