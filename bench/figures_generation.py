"""The pictures of docs/generation.md and README's Generation section, remade from the configs.

    python bench/figures_generation.py [--data DIR] [--out results/generation]

Runs experiments/generate-noise.toml and generate-prototype.toml on seeds 0-63 and draws
recipe-vs-prototype.png: the recipe's random scribbles (its starts), the 8s drawn from them, and
the prototype's 8s from the same seeds. Also writes each run's summary (summary-*.json).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from guidance.api import run_experiment
from guidance.configs import RunConfig
from guidance.resolve import Workspace
from guidance.runs.figures import grid

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def panel(axis, images, title: str) -> None:
    """(64, 1, 28, 28) images on the kit's grid (guidance/runs/figures.py), titled."""
    axis.imshow(grid(images.squeeze(1).numpy(), 1), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axis.set_title(title, fontsize=10)
    axis.axis("off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default="results/generation")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(args.data)
    outcomes = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("generate-noise", "generate-prototype"):
            config = RunConfig.from_toml(EXPERIMENTS / f"{name}.toml")
            outcomes[name] = run_experiment(config, out=Path(scratch) / name, workspace=workspace)
            summary = {k: outcomes[name].summary[k] for k in ("config", "verdicts", "set_metrics", "wall_seconds")}
            (out / f"summary-{name}.json").write_text(json.dumps(summary, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recipe, prototype = outcomes["generate-noise"], outcomes["generate-prototype"]
    figure, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    counts = {name: outcome.summary["verdicts"]["generated"] for name, outcome in outcomes.items()}
    panel(axes[0], recipe.result.start, "the recipe's starts: 64 random scribbles")
    panel(axes[1], recipe.result.final, f"generate-noise.toml: {counts['generate-noise']}/64 generated")
    panel(axes[2], prototype.result.final, f"the prototype, same seeds: {counts['generate-prototype']}/64 generated")
    figure.tight_layout()
    figure.savefig(out / "recipe-vs-prototype.png", dpi=80)
    print(f"wrote {out / 'recipe-vs-prototype.png'}: {counts}")


if __name__ == "__main__":
    main()
