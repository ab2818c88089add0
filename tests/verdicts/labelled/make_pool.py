"""Make the human-labelled check set's images: the kit's own runs, real test images mixed in, shuffled.

    python tests/verdicts/labelled/make_pool.py [--data DIR]

Writes `pool.npz` (images uint8 (N, 28, 28), per image its source run, data set and target) and
one numbered contact sheet per 64 images (`sheets/sheet-K.png`), which people label by eye with
the rubric in README.md. Every run is seeded: the same command makes the same images.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PER_SHEET = 64

# (name, kind, config fields, how many): every kind of run the kit makes, toward an 8 or a sneaker
LOOP = "run"
DIFFUSE = "diffuse"
RUNS_MNIST = [
    ("robust noise blur logit (generate-noise)", LOOP, dict(model="robust", start="noise:data", loss="logit", param="blur", lr=0.05, steps=500, seed=100), 24),
    ("robust noise l1 (the design's command)", LOOP, dict(model="robust", start="noise", loss="l1", steps=500, seed=200), 16),
    ("robust digit:3 l1 blur 300", LOOP, dict(model="robust", start="digit:3", loss="l1", param="blur", steps=300), 24),
    ("robust digit:2 ce pixel eps 8 (generate-from-2)", LOOP, dict(model="robust", start="digit:2", loss="ce", param="pixel", eps=8.0, eps_norm="l2", steps=100, lr=0.25), 16),
    ("robust noise pixel logit", LOOP, dict(model="robust", start="noise:data", loss="logit", param="pixel", steps=500, seed=300), 16),
    ("robust lowres 2 logit", LOOP, dict(model="robust", start="noise:data", loss="logit", param="lowres", param_factor=2, steps=400, seed=400), 12),
    ("robust blank logit", LOOP, dict(model="robust", start="blank", loss="logit", steps=300, seed=500), 4),
    ("robust noise eps 6", LOOP, dict(model="robust", start="noise:data", loss="logit", eps=6.0, eps_norm="l2", steps=500, seed=600), 12),
    ("robust L1-shrunk sketch", LOOP, dict(model="robust", start="noise:data", loss="logit", param="pixel", l1=0.02, steps=500, seed=700), 8),
    ("standard digit:2 flip (eps 3)", LOOP, dict(model="standard", start="digit:2", loss="ce", param="pixel", eps=3.0, eps_norm="l2", lr=0.1, steps=200, threshold=0.999, early_stop=True, seed=0), 12),
    ("standard noise l1 blur (blobs)", LOOP, dict(model="standard", start="noise:data", loss="l1", param="blur", steps=400, seed=800), 12),
    ("diffuse free 1.0", DIFFUSE, dict(guidance="free", scale=1.0, seed=1000), 16),
    ("diffuse free 2.5 (default)", DIFFUSE, dict(guidance="free", scale=2.5, seed=2000), 24),
    ("diffuse free 5", DIFFUSE, dict(guidance="free", scale=5.0, seed=3000), 12),
    ("diffuse free 2.5 ddpm", DIFFUSE, dict(guidance="free", scale=2.5, sampler="ddpm", seed=4000), 12),
    ("diffuse free 2.5 dpm 25", DIFFUSE, dict(guidance="free", scale=2.5, sampler="dpm", sampling_steps=25, seed=5000), 8),
    ("diffuse classifier noisy 4", DIFFUSE, dict(guidance="classifier", model="noisy", scale=4.0, seed=6000), 16),
    ("diffuse classifier robust 4", DIFFUSE, dict(guidance="classifier", model="robust", scale=4.0, seed=7000), 8),
    ("diffuse classifier standard 4", DIFFUSE, dict(guidance="classifier", model="standard", scale=4.0, seed=8000), 8),
]
RUNS_FASHION = [
    ("fashion robust noise blur logit (generate-sneaker)", LOOP, dict(model="robust", start="noise:data", loss="logit", param="blur", lr=0.05, steps=500, threshold=0.95, seed=100), 16),
    ("fashion diffuse free 2.5 (diffuse-sneaker)", DIFFUSE, dict(guidance="free", scale=2.5, seed=2000), 16),
    ("fashion standard sandal flip", LOOP, dict(model="standard", start="digit:5", loss="ce", param="pixel", eps=3.0, eps_norm="l2", lr=0.1, steps=200, threshold=0.999, early_stop=True), 8),
    ("fashion robust sandal blur l1", LOOP, dict(model="robust", start="digit:5", loss="l1", param="blur", steps=300, threshold=0.95), 8),
]
REAL_SHARE = 0.25  # of every sheet: real test images of the target, unmarked


def make_images(dataset: str, runs: list, workspace) -> list[tuple[str, np.ndarray]]:
    from guidance import api
    from guidance.configs import DiffuseConfig, RunConfig

    made = []
    target = 7 if dataset == "fashion-mnist" else 8
    for name, kind, fields, count in runs:
        common = dict(dataset=dataset, target=target, batch=count, device="cpu", judge=False)
        if kind == LOOP:
            common["stop_each"] = False  # the pool was made before stop_each became the default
        with tempfile.TemporaryDirectory() as out:
            if kind == LOOP:
                outcome = api.run_experiment(RunConfig(**common, **fields), out=out, workspace=workspace)
            else:
                outcome = api.diffuse(DiffuseConfig(**common, **fields), out=out, workspace=workspace)
        pixels = outcome.result.final.clamp(0, 1).squeeze(1).numpy()
        made.append((name, np.round(pixels * 255).astype(np.uint8)))
        print(f"{name}: {count}", flush=True)
    return made


def with_real(made: list[tuple[str, np.ndarray]], data, target: int, rng) -> tuple[np.ndarray, list[str]]:
    """Every generated image, plus REAL_SHARE real test images of the target, shuffled together."""
    images = np.concatenate([pixels for _, pixels in made])
    sources = [name for name, pixels in made for _ in pixels]
    real_count = int(round(len(images) * REAL_SHARE / (1 - REAL_SHARE)))
    real = data.test_digits(target)[rng.choice(len(data.test_digits(target)), real_count, replace=False)]
    images = np.concatenate([images, real])
    sources += ["real test image"] * real_count
    order = rng.permutation(len(images))
    return images[order], [sources[i] for i in order]


def draw_sheet(images: np.ndarray, first: int, path: Path) -> None:
    """An 8 x 8 sheet of images, 3x enlarged on a grey frame, each numbered by its index in the pool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(8, 8, figsize=(9, 10), dpi=100)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(str(first + i), fontsize=9, pad=2)
    fig.patch.set_facecolor("#777777")
    fig.tight_layout(pad=0.3)
    fig.savefig(path, facecolor=fig.get_facecolor())
    plt.close(fig)


def draw_sheets(images: np.ndarray, datasets: list[str]) -> None:
    """Sheets of PER_SHEET images in pool order, never mixing two data sets on one sheet."""
    sheets = HERE / "sheets"
    sheets.mkdir(exist_ok=True)
    number, first = 0, 0
    while first < len(images):
        last = first + 1
        while last < len(images) and last - first < PER_SHEET and datasets[last] == datasets[first]:
            last += 1
        draw_sheet(images[first:last], first, sheets / f"sheet-{number:02d}.png")
        number, first = number + 1, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    from guidance.resolve import Workspace

    workspace = Workspace(args.data)
    rng = np.random.default_rng(20)
    parts = []
    for dataset, runs, target in (("mnist", RUNS_MNIST, 8), ("fashion-mnist", RUNS_FASHION, 7)):
        images, sources = with_real(make_images(dataset, runs, workspace), workspace.data(dataset), target, rng)
        parts.append((images, sources, [dataset] * len(images), [target] * len(images)))
    all_images, all_sources, datasets, targets = [], [], [], []
    for images, sources, names, target_list in parts:
        all_images.append(images)
        all_sources += sources
        datasets += names
        targets += target_list
    images = np.concatenate(all_images)
    np.savez_compressed(HERE / "pool.npz", images=images, source=np.array(all_sources), dataset=np.array(datasets),
                        target=np.array(targets))
    draw_sheets(images, datasets)
    print(f"{len(images)} images")


if __name__ == "__main__":
    main()
