"""Issue 21's figures: every route to varied 8s (and sneakers) by the classifier's gradient alone.

    python bench/bench_generate.py [--data DIR] [--out DIR] [--only mnist|fashion-mnist] [--quick]

Each route is an experiment config with a few changes, on the same 64 seeds, judged by the image
verdict (guidance/verdicts). Set metrics are against 64 real test images of the target, the
real-vs-real value in brackets; recall and coverage are also given as a ratio of it. `twins` is
the share of images with another image of the batch closer (pixel L2) than 99% of real test
images are to their nearest other real one. Seconds are the whole run on this machine.

Targets (the design's command and generate-noise.toml; the same for generate-sneaker.toml):
>= 90% generated, recall >= 0.5x and coverage >= 0.8x real-vs-real, twins <= 5%, <= 30 s.
With --out, each route's final images are saved as an 8x8 contact sheet (ROUTE.png).

"The design's command" is RunConfig's defaults but for DESIGN: the robust10 model, param 'auto' (a
pen path from noise on MNIST, a blurred latent on Fashion-MNIST), stop_each=True at threshold 0.99,
restart_every=50, early_stop=False. The other routes start from an experiments/*.toml that names
these itself, and change what the route's name says.
--quick: every route's config is still built and checked, but only the first and last route of each
data set run, on 10 seeds (the fewest images set metrics take) for at most 2 steps, with one torch
thread and a small copy of the data (bench/quick.py). Checks that the script runs and prints its tables.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from quick import quick_setup
from rich.console import Console
from rich.table import Table

from guidance.api import run_experiment
from guidance.configs import RunConfig
from guidance.resolve import Workspace
from guidance.verdicts.metrics import MIN_IMAGES

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
PROTOTYPE, RECIPE, SNEAKER = "generate-prototype.toml", "generate-noise.toml", "generate-sneaker.toml"
DESIGN = {"start": "noise", "loss": "l1", "steps": 500, "batch": 64}  # guide run --start noise --loss l1 --steps 500 --batch 64

# (name, config file or None for the CLI defaults, changes)
ROUTES = {
    "mnist": [
        ("prototype: 8-vs-rest robust, blurred latent", PROTOTYPE, {}),
        ("prototype + stop each at 0.9", PROTOTYPE, {"stop_each": True, "threshold": 0.9}),
        ("prototype + Langevin noise 0.005", PROTOTYPE, {"step": "langevin", "noise": 0.005}),
        ("prototype + diversity 1", PROTOTYPE, {"diversity": 1.0}),
        ("gauss:8 start alone (1 tiny step)", PROTOTYPE, {"start": "gauss:8", "steps": 1, "lr": 1e-6}),
        ("gauss:8 + 60 L2 PGD steps, ball 3", PROTOTYPE,
         {"start": "gauss:8", "param": "pixel", "loss": "ce", "lr": 0.1, "steps": 60, "eps": 3.0, "eps_norm": "l2"}),
        ("10-class robust, blurred latent", PROTOTYPE, {"model": "robust10"}),
        ("pen strokes, 8-vs-rest robust", RECIPE, {"model": "robust"}),
        ("pen strokes, no restarts", RECIPE, {"restart_every": 0}),
        ("pen strokes + diversity 0.1", RECIPE, {"diversity": 0.1}),
        ("pen strokes, no stop each", RECIPE, {"stop_each": False}),
        ("generate-noise.toml (the recipe)", RECIPE, {}),
        ("the design's command", None, DESIGN),
    ],
    "fashion-mnist": [
        ("noise, blurred latent, sneaker-vs-rest robust", PROTOTYPE, {"dataset": "fashion-mnist", "target": "sneaker", "threshold": 0.95}),
        ("the design's command, --target sneaker", None, DESIGN | {"dataset": "fashion-mnist", "target": "sneaker"}),
        ("gauss:sneaker start alone (1 tiny step)", SNEAKER, {"steps": 1, "lr": 1e-6}),
        ("gauss:sneaker, blurred latent, sneaker-vs-rest robust", SNEAKER,
         {"model": "robust", "param": "blur", "loss": "logit", "lr": 0.05, "steps": 500, "eps": 0.0}),
        ("gauss:sneaker, blurred latent, 10-class robust", SNEAKER, {"param": "blur", "loss": "l1", "lr": 0.05, "steps": 500, "eps": 0.0}),
        ("generate-sneaker.toml (the recipe)", SNEAKER, {}),
    ],
}


def route_config(source: str | None, changes: dict) -> RunConfig:
    base = RunConfig() if source is None else RunConfig.from_toml(EXPERIMENTS / source)
    return base.override(**changes)


def save_sheet(images, path: Path, title: str) -> None:
    """The final images on the kit's grid (guidance/runs/figures.py), white on black as MNIST is shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from guidance.runs.figures import grid

    figure, axis = plt.subplots(figsize=(6, 6.3))
    axis.imshow(grid(images.squeeze(1).numpy(), 1), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axis.set_title(title, fontsize=9)
    axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None, help="folder for each route's contact sheet")
    parser.add_argument("--only", choices=list(ROUTES), default=None)
    parser.add_argument("--quick", action="store_true", help="2 routes a data set, 10 seeds, 2 steps, small data (CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.data = quick_setup(args.data)
    console, workspace = Console(width=200), Workspace(args.data)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for dataset, routes in ROUTES.items():
        if args.only and dataset != args.only:
            continue
        configs = [route_config(source, changes) for _, source, changes in routes]
        chosen = range(len(routes))
        if args.quick:
            configs = [config.override(batch=MIN_IMAGES, steps=min(config.steps, 2)) for config in configs]
            chosen = [0, len(routes) - 1]
        table = Table(title=f"{dataset}: {configs[0].batch} images from {configs[0].batch} seeds, by the gradient alone")
        for header in ("route", "generated", "artificial", "other", "recall", "coverage", "FD", "C2ST", "twins", "s"):
            table.add_column(header, justify="right")
        with tempfile.TemporaryDirectory() as scratch:
            for index in chosen:
                name, config = routes[index][0], configs[index]
                outcome = run_experiment(config, out=Path(scratch) / str(index), workspace=workspace)
                summary, metrics = outcome.summary, outcome.summary["set_metrics"]
                counts = summary["verdicts"]
                table.add_row(
                    name, str(counts["generated"]), str(counts["artificial"]),
                    str(sum(counts.values()) - counts["generated"] - counts["artificial"]),
                    f"{metrics['recall']:.2f} ({metrics['recall_real']:.2f}) {metrics['recall'] / metrics['recall_real']:.2f}x",
                    f"{metrics['coverage']:.2f} ({metrics['coverage_real']:.2f}) {metrics['coverage'] / metrics['coverage_real']:.2f}x",
                    f"{metrics['fd']:.0f} ({metrics['fd_real']:.0f})", f"{metrics['c2st']:.2f} ({metrics['c2st_real']:.2f})",
                    f"{metrics['twins']:.0%}", f"{summary['wall_seconds']:.0f}",
                )
                if out:
                    save_sheet(outcome.result.final, out / f"{dataset}-{index:02d}.png", f"{name}: {counts['generated']}/{config.batch} generated")
        console.print(table)
    console.print("targets: generated >= 58/64, recall >= 0.5x, coverage >= 0.8x, twins <= 5%, <= 30 s")


if __name__ == "__main__":
    main()
