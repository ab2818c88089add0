"""Guidance-loop throughput and memory, side by side in one run.

    python bench/bench_loop.py [--steps 200] [--data DIR] [--quick]

Prints image-steps per second for the kit's loop (standard CNN, pixel space, logging every
10 steps, a snapshot every 50) and for a bare PyTorch loop doing the same math
with no logging, at batch 64 and batch 1, their ratio, and the peak RSS of
`guide run --start noise --steps 500 --batch 64` in a subprocess.
Targets: >= 4,000 image-steps/s at batch 64; kit >= 0.98x bare at batch 64 and batch 1; peak RSS <= 1.5 GB.

Equal work: the kit's run sets every default that would let it do less than the bare loop
(`stop_each`, `early_stop`, `restart_every`: images that stop early skip their steps) or other math
(`step`, `param`, `noise`) explicitly, and the table checks that both loops took every step.
The RSS row runs `guide run`'s defaults: the robust10 model, param 'auto' (a pen path from noise),
stop_each=True and restart_every=50, so its images may stop before step 500.
--quick: 10 steps, one repeat, no subprocess, one torch thread and a small copy of the data (bench/quick.py);
checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import functools
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from quick import quick_setup
from rich.console import Console
from rich.table import Table

from guidance.api import load_guided_model
from guidance.configs import RunConfig
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start


def bare_loop(model, start: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """The same math as the kit's run below (ce, pixel space, unit-L2 step, clamp), nothing else."""
    image = start.clone()
    for _ in range(steps):
        image.requires_grad_(True)
        loss = -model(image).log_softmax(1)[:, model.target_index].sum()
        (grad,) = torch.autograd.grad(loss, image)
        with torch.no_grad():
            norm = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)
            image = (image - lr * grad / norm).clamp(0, 1)
    return image


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_rss_of_cli_run(data: str | None) -> float:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "guidance", "run", "--start", "noise", "--steps", "500",
                   "--batch", "64", "--out", str(Path(folder) / "run"), "--device", "cpu"]
        if data:
            command += ["--data", data]
        subprocess.run(command, check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB -> GiB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--data", default=None)
    parser.add_argument("--quick", action="store_true", help="10 steps, one repeat, no subprocess (CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.data = 10, quick_setup(args.data)
    repeats = 1 if args.quick else 3
    console = Console()
    model = load_guided_model("standard", 8, data_dir=args.data, console=console).eval().requires_grad_(False)
    table = Table(title=f"guidance loop, {args.steps} steps, {torch.get_num_threads()} CPU threads")
    for header in ("batch", "kit img-steps/s", "bare img-steps/s", "kit / bare"):
        table.add_column(header, justify="right")
    for batch in (64, 1):
        start = make_start("noise:uniform", batch, 0, data=None).pixels
        config = RunConfig(model="standard", batch=batch, steps=args.steps, loss="ce", param="pixel", lr=0.1,
                           step="normalized", noise=0.0, stop_each=False, early_stop=False, restart_every=0,
                           log_every=10, snapshot_every=50, device="cpu", judge=False)
        guide(model, start, config.override(steps=5))  # warm up
        assert guide(model, start, config).steps_done == args.steps, "the kit's loop stopped early: unequal work"
        kit = best_of(repeats, functools.partial(guide, model, start, config))
        bare = best_of(repeats, functools.partial(bare_loop, model, start, args.steps, config.lr))
        image_steps = batch * args.steps
        table.add_row(str(batch), f"{image_steps / kit:,.0f}", f"{image_steps / bare:,.0f}", f"{bare / kit:.2f}x")
    console.print(table)
    if args.quick:
        return
    console.print(f"peak RSS of `guide run --start noise --steps 500 --batch 64`: {peak_rss_of_cli_run(args.data):.2f} GiB")


if __name__ == "__main__":
    main()
