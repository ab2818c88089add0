"""The pictures of docs/generation.md and README's Generation section, remade from the configs.

    python bench/figures_generation.py [--data DIR] [--out results/generation] [--quick]

Runs experiments/generate-noise.toml and generate-prototype.toml on seeds 0-63 and draws
recipe-vs-prototype.png: the recipe's random scribbles (its starts), the 8s drawn from them, and
the prototype's 8s from the same seeds. Also writes each run's summary (summary-*.json), and
prints a table of both runs' verdicts.
Both configs name their own settings (model, param 'strokes' or 'blur', stop_each, steps; the recipe
restart_every too); RunConfig's defaults fill in the rest (early_stop=False, keep='last', a constant
schedule, no jitter or blur).
--quick: 10 seeds (the fewest images set metrics take), 3 steps, one torch thread and a small copy of
the data (bench/quick.py), written into a temporary folder (removed at exit) unless --out is given.
Checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from quick import quick_setup, scratch_folder
from rich.console import Console
from rich.table import Table

from guidance.api import run_experiment
from guidance.configs import RunConfig
from guidance.resolve import Workspace
from guidance.runs.figures import grid
from guidance.verdicts.metrics import MIN_IMAGES

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def panel(axis, images, title: str) -> None:
    """(64, 1, 28, 28) images on the kit's grid (guidance/runs/figures.py), titled."""
    axis.imshow(grid(images.squeeze(1).numpy(), 1), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axis.set_title(title, fontsize=10)
    axis.axis("off")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None, help="default: results/generation (--quick: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="10 seeds, 3 steps, small data, a temporary folder (CI)")
    args = parser.parse_args(argv)
    sizes = {}
    if args.quick:
        sizes, args.data = {"batch": MIN_IMAGES, "steps": 3}, quick_setup(args.data)
        args.out = args.out or scratch_folder("figures-generation-")
    out = Path(args.out or "results/generation")
    out.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(args.data)
    outcomes = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("generate-noise", "generate-prototype"):
            config = RunConfig.from_toml(EXPERIMENTS / f"{name}.toml").override(**sizes)
            outcomes[name] = run_experiment(config, out=Path(scratch) / name, workspace=workspace)
            summary = {k: outcomes[name].summary[k] for k in ("config", "verdicts", "set_metrics", "wall_seconds")}
            (out / f"summary-{name}.json").write_text(json.dumps(summary, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recipe, prototype = outcomes["generate-noise"], outcomes["generate-prototype"]
    figure, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    counts = {name: outcome.summary["verdicts"]["generated"] for name, outcome in outcomes.items()}
    n = len(recipe.result.final)
    panel(axes[0], recipe.result.start, f"the recipe's starts: {n} random scribbles")
    panel(axes[1], recipe.result.final, f"generate-noise.toml: {counts['generate-noise']}/{n} generated")
    panel(axes[2], prototype.result.final, f"the prototype, same seeds: {counts['generate-prototype']}/{n} generated")
    figure.tight_layout()
    figure.savefig(out / "recipe-vs-prototype.png", dpi=80)
    table = Table(title=f"recipe vs prototype, {n} seeds")
    for header in ("config", "verdicts", "wall s"):
        table.add_column(header)
    for name, outcome in outcomes.items():
        verdicts = ", ".join(f"{count} {verdict}" for verdict, count in outcome.summary["verdicts"].items() if count)
        table.add_row(f"{name}.toml", verdicts, f"{outcome.summary['wall_seconds']:.0f}")
    Console().print(table)
    print(f"wrote {out / 'recipe-vs-prototype.png'}: {counts}")


if __name__ == "__main__":
    main()
