"""The verdicts' calibration table and the set metrics' baselines, side by side in one run.

    python bench/bench_verdicts.py [--data DIR] [--n 64]

Per-image verdicts (shipped judge, calibrated on its held-out training 8s), as if the guided
model had reached p(8) >= 0.99 on every image, so only the judge and the realism index decide:
- real test 8s: >= 97% `generated`;
- every group of the failure battery (guidance/verdicts/battery.py): <= 2% `generated`;
- the robust model's generations (experiments/generate-*.toml, 64 seeds): >= 90% `generated`.
Set metrics for 64-image sets against the judge's training 8s, each beside its real-vs-real
value at the same size. Timing: judging 64 images, verdicts and set metrics, judge loaded: <= 2 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from guidance.api import load_guided_model, load_run_judge
from guidance.configs import RunConfig
from guidance.data.images import as_pixels
from guidance.data.loading import load_mnist
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start
from guidance.verdicts.battery import failure_battery
from guidance.verdicts.judge import judge_images, verdict_counts
from guidance.verdicts.metrics import set_metrics

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def robust_generations(robust, data, name: str, n: int) -> torch.Tensor:
    config = RunConfig.from_toml(EXPERIMENTS / f"{name}.toml").override(batch=n, device="cpu")
    return guide(robust, make_start(config.start, n, config.seed, lambda: data).pixels, config).final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--n", type=int, default=64, help="images per battery group")
    args = parser.parse_args()
    console = Console()
    data = load_mnist(args.data)
    standard = load_guided_model("standard", 8, data=lambda: data)
    robust = load_guided_model("robust", 8, data=lambda: data)
    started = time.perf_counter()
    judge = load_run_judge(8, data=lambda: data)
    load_seconds = time.perf_counter() - started
    index = judge.index

    groups = {"real test 8s (all)": as_pixels(data.test_digits(8))}
    groups |= failure_battery(data, standard, robust, n=args.n)
    groups |= {f"robust: {name}": robust_generations(robust, data, name, args.n) for name in ("generate-noise", "generate-from-2")}
    real_test = data.test_digits(8)

    table = Table(title=f"verdicts by group (judge p floor {index.p_floor:.2f}, pixel cutoff {index.cutoff:.2f}, "
                        f"feature cutoff {index.feature_cutoff:.2f})")
    for header in ("group", "n", "generated", "flip", "unrealistic", "target"):
        table.add_column(header, justify="left" if header in ("group", "target") else "right")
    sets = Table(title="set metrics against the judge's training 8s (real-vs-real at the same size in brackets)")
    for header in ("set", "n", "FD", "precision", "recall", "density", "coverage"):
        sets.add_column(header, justify="left" if header == "set" else "right")
    for name, images in groups.items():
        verdicts = judge_images(judge, images, standard, 8, 0.99, guided_p=[1.0] * len(images))
        counts = verdict_counts(verdicts)
        share = counts["generated"] / len(images)
        target = ">= 97%" if name.startswith("real") else ">= 90%" if name.startswith("robust") else "<= 2%"
        table.add_row(name, str(len(images)), f"{counts['generated']} ({100 * share:.1f}%)", str(counts["flip"]),
                      str(counts["unrealistic"]), target)
        subset = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(7))[:args.n]] if name.startswith("real") else images
        measures = set_metrics(judge, subset, real_test)
        sets.add_row(name, str(measures["n"]), *(f"{measures[k]:.{1 if k == 'fd' else 2}f} ({measures[k + '_real']:.{1 if k == 'fd' else 2}f})"
                                                 for k in ("fd", "precision", "recall", "density", "coverage")))
    one_eight = as_pixels(real_test[:1]).expand(args.n, -1, -1, -1)
    measures = set_metrics(judge, one_eight, real_test)
    sets.add_row(f"{args.n} copies of one real 8", str(args.n), *(f"{measures[k]:.{1 if k == 'fd' else 2}f} ({measures[k + '_real']:.{1 if k == 'fd' else 2}f})"
                                                      for k in ("fd", "precision", "recall", "density", "coverage")))
    console.print(table)
    console.print(sets)

    batch = groups["robust: generate-noise"]
    judge_images(judge, batch, robust, 8, 0.99)  # warm up
    started = time.perf_counter()
    judge_images(judge, batch, robust, 8, 0.99)
    set_metrics(judge, batch, real_test)
    console.print(f"judge load (model + calibrated index): {load_seconds:.2f} s; judging {len(batch)} images, "
                  f"verdicts and set metrics: {time.perf_counter() - started:.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
