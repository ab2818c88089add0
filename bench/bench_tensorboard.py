"""What TensorBoard logging costs a run, side by side in one process.

    python bench/bench_tensorboard.py [--steps 500] [--batch 64] [--repeats 2] [--data DIR]

Runs the design's command (`guide run --start noise --loss l1 --steps 500 --batch 64`: the robust
model, default log and snapshot intervals, verdicts on) through the API with and without
`tensorboard`, alternating, and prints the best wall time of each and their ratio.
Target: logging costs <= 10% of the run's wall time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from guidance.api import run_experiment
from guidance.configs import RunConfig
from guidance.resolve import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    config = RunConfig(start="noise", loss="l1", steps=args.steps, batch=args.batch, device="cpu")
    workspace = Workspace(args.data)  # models, data and judge loaded once, outside the timings
    times: dict[str, list[float]] = {"plain": [], "tensorboard": []}
    with tempfile.TemporaryDirectory() as scratch:
        run_experiment(config.override(steps=2), out=Path(scratch) / "warm", workspace=workspace)
        for repeat in range(args.repeats):
            for name in times:
                board = str(Path(scratch) / "tb") if name == "tensorboard" else ""
                started = time.perf_counter()
                run_experiment(config.override(tensorboard=board), out=Path(scratch) / f"{name}-{repeat}",
                               workspace=workspace)
                times[name].append(time.perf_counter() - started)
        events = sum(p.stat().st_size for p in (Path(scratch) / "tb").rglob("*") if p.is_file())
    plain, logged = min(times["plain"]), min(times["tensorboard"])
    table = Table(title=f"guide run --start noise --loss l1 --steps {args.steps} --batch {args.batch}, "
                        f"best of {args.repeats}")
    for column in ("case", "wall s", "vs plain"):
        table.add_column(column, justify="right")
    table.add_row("no TensorBoard", f"{plain:.2f}", "1.00x")
    table.add_row("--tensorboard", f"{logged:.2f}", f"{logged / plain:.3f}x")
    Console().print(table)
    cost = logged / plain - 1
    print(f"TensorBoard logging costs {cost:+.1%} of the run's wall time (target <= 10%); "
          f"events written: {events / args.repeats / 1e6:.1f} MB per run")


if __name__ == "__main__":
    main()
