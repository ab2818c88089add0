"""What a run's logging costs: checkpoints (crash safety) and TensorBoard, side by side in one process.

    python bench/bench_run_logging.py [--steps 500] [--batch 64] [--repeats 5] [--data DIR] [--quick]

Runs the loop of the design's command (`guide run --start noise --loss l1 --steps 500 --batch 64`:
RunConfig's defaults otherwise, so the robust10 model, param 'auto' = a pen path from noise,
stop_each=True, restart_every=50, early_stop=False, a log row every 10 steps and a snapshot every
50) with the JSONL log alone, then also with the checkpoints every run folder now keeps, then also
with TensorBoard, alternating, and prints the best wall time of each and their ratios. The verdicts
at the end of a run cost the same in every case and are left out, so the ratios are the strict ones.
Every case runs the same config from the same start, so the same images stop at the same steps;
the script checks that each run took as many steps as the first.
Targets: checkpoints <= 5% and TensorBoard <= 10% of the run's wall time.
--quick: 3 steps, batch 2, one repeat, one torch thread and a small copy of the data (bench/quick.py);
checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from quick import quick_setup
from rich.console import Console
from rich.table import Table

from guidance.configs import RunConfig
from guidance.optimize.callbacks import JsonlLog
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start
from guidance.resolve import Workspace, resolve
from guidance.runs.checkpoints import Checkpointer
from guidance.runs.tensorboard import TensorBoardLog


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)  # runs differ by up to 10% here: best of 5
    parser.add_argument("--data", default=None)
    parser.add_argument("--quick", action="store_true", help="3 steps, batch 2, one repeat, small data (CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.batch, args.repeats, args.data = 3, 2, 1, quick_setup(args.data)
    config = RunConfig(start="noise", loss="l1", steps=args.steps, batch=args.batch, device="cpu")
    experiment = resolve(config, Workspace(args.data))
    model = experiment.model
    start = make_start(config.start, config.batch, config.seed, experiment.loader).pixels
    cases = {
        "JSONL log only": lambda folder: [JsonlLog(folder / "metrics.jsonl")],
        "+ checkpoints": lambda folder: [JsonlLog(folder / "metrics.jsonl"), Checkpointer(folder)],
        "+ checkpoints + TensorBoard": lambda folder: [JsonlLog(folder / "metrics.jsonl"), Checkpointer(folder),
                                                      TensorBoardLog(folder / "tb", "run")],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    steps_done = set()
    with tempfile.TemporaryDirectory() as scratch:
        guide(model, start, config.override(steps=min(5, args.steps)))  # warm up
        for repeat in range(args.repeats):
            for index, (name, callbacks) in enumerate(cases.items()):
                folder = Path(scratch) / f"{index}-{repeat}"
                folder.mkdir()
                chosen = callbacks(folder)
                started = time.perf_counter()
                steps_done.add(guide(model, start, config, chosen).steps_done)
                for board in (c for c in chosen if isinstance(c, TensorBoardLog)):
                    board.finish({})  # flushes and closes the event file
                times[name].append(time.perf_counter() - started)
    assert len(steps_done) == 1, f"the cases took different numbers of steps ({steps_done}): unequal work"
    base = min(times["JSONL log only"])
    table = Table(title=f"the loop of guide run --start noise --loss l1 --steps {args.steps} --batch {args.batch}, "
                        f"best of {args.repeats} ({steps_done.pop()} steps taken)")
    for column in ("logging", "wall s", "vs JSONL only", "target"):
        table.add_column(column, justify="right")
    targets = {"JSONL log only": "", "+ checkpoints": "<= 1.05x", "+ checkpoints + TensorBoard": "<= 1.05x x 1.10"}
    for name, measured in times.items():
        table.add_row(name, f"{min(measured):.2f}", f"{min(measured) / base:.3f}x", targets[name])
    Console().print(table)
    checkpoints = min(times["+ checkpoints"])
    tensorboard = min(times["+ checkpoints + TensorBoard"])
    print(f"checkpoints cost {checkpoints / base - 1:+.1%} of the loop's wall time (target <= 5%); "
          f"TensorBoard on top {tensorboard / checkpoints - 1:+.1%} (target <= 10%)")


if __name__ == "__main__":
    main()
