"""The verdicts against labels by eye, real images and the failure battery, on both data sets, in one run.

    python bench/bench_verdicts.py [--data DIR] [--n 64] [--figure FIGURE] [--quick]

1. The human-labelled check set (tests/verdicts/labelled/: 411 images of every kind of run plus
   real test images, each labelled Y / ? / N by four raters): accuracy, precision and recall of
   `generated` against "Y", on the dev half (even indices, looked at while building the critic),
   the test half (odd) and all. Targets: accuracy >= 92%, precision >= 90%, recall >= 85%.
2. Real test images of every class of MNIST and Fashion-MNIST, judged toward their own class:
   >= 95% `generated` each.
3. The failure battery (guidance/verdicts/battery.py) toward 8 and toward sneaker, judged as if
   the guided model were sure: every group <= 2% `generated`, the robust prototypes <= 10%.
4. Set metrics of 64-image sets with their real-vs-real values, C2ST included.
5. Judging 64 images (verdicts and set metrics, models loaded): <= 2 s.

No RunConfig default counts here: the battery's recipes name their own settings
(guidance/verdicts/battery.py), and every image is judged at threshold 0.99.
--quick: the first 20 labelled images of each data set, 10 images a battery group (the fewest set
metrics take), one torch thread and a small copy of the data (bench/quick.py); the same tables.
Checks that the script runs and prints its tables.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from quick import quick_setup
from rich.console import Console
from rich.table import Table

from guidance.data.images import as_pixels
from guidance.resolve import Workspace
from guidance.verdicts.agreement import agreement
from guidance.verdicts.battery import PROTOTYPES, failure_battery
from guidance.verdicts.judge import judge_images
from guidance.verdicts.metrics import MIN_IMAGES, set_metrics

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "verdicts" / "labelled"
TARGETS = {"mnist": (8, (2, 3, 5)), "fashion-mnist": (7, (5, 8, 2))}  # target, the flips' start classes


def generated_share(judge, images: torch.Tensor, target: int) -> float:
    """Share of `images` called generated toward `target`, as if a guided model were sure of it."""
    verdicts = judge_images(judge, images, None, target, 0.99, guided_p=[1.0] * len(images))
    return sum(v["verdict"] == "generated" for v in verdicts) / len(images)


def labelled_rows(workspace: Workspace, figure: Path | None, limit: int | None = None) -> list[tuple[str, str, dict]]:
    """(data set, half, agreement) for each data set and half of the labelled set (its first `limit` images
    of each data set if given); a sheet of the first 64 if asked."""
    pool = np.load(LABELLED / "pool.npz")
    labels = list(csv.DictReader(open(LABELLED / "labels.csv")))
    rows = []
    for dataset, (target, _) in TARGETS.items():
        chosen = np.nonzero(pool["dataset"] == dataset)[0][:limit]
        images = torch.from_numpy(pool["images"][chosen].astype(np.float32) / 255).unsqueeze(1)
        verdicts = [v["verdict"] for v in judge_images(workspace.judge(dataset, target), images, None, target, 0.99)]
        for half, keep in (("dev", 0), ("test", 1), ("all", None)):
            picked = [k for k, i in enumerate(chosen) if keep is None or i % 2 == keep]
            rows.append((dataset, half, agreement([verdicts[k] for k in picked],
                                                  [labels[chosen[k]]["label"] == "Y" for k in picked])))
        if figure is not None:
            people = [labels[i]["label"] for i in chosen[:64]]
            labelled_sheet(pool["images"][chosen[:64]], people, verdicts[:64], figure.with_name(f"{figure.stem}-{dataset}.png"))
    return rows


def labelled_sheet(images: np.ndarray, people: list[str], verdicts: list[str], path: Path) -> None:
    """The labelled images with people's label and the kit's verdict over each; green where they agree."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(8, 8, figsize=(9, 10.4), dpi=100)
    for ax, image, label, verdict in zip(axes.flat, images, people, verdicts):
        agree = (label == "Y") == (verdict == "generated")
        ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"{label} | {verdict[:5]}", fontsize=8, pad=2, color="#0a6" if agree else "#d22")
        ax.axis("off")
    fig.suptitle("the raters' label (Y / ? / N) | the kit's verdict; red: they disagree on 'a real one'", fontsize=9)
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, 0.975))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--n", type=int, default=64, help="images per battery group")
    parser.add_argument("--figure", type=Path, default=None, help="also draw the labelled sheets: FIGURE-<data set>.png")
    parser.add_argument("--quick", action="store_true", help="20 labelled images, 10 a battery group, small data (CI)")
    args = parser.parse_args(argv)
    limit = None
    if args.quick:
        limit, args.n, args.data = 20, MIN_IMAGES, quick_setup(args.data)
    console = Console()
    workspace = Workspace(args.data)

    people = Table(title="1. `generated` against the raters' Y (targets: accuracy >= 92%, precision >= 90%, recall >= 85%)")
    for header in ("data set", "half", "n", "raters Y", "generated", "accuracy", "precision", "recall"):
        people.add_column(header, justify="left" if header in ("data set", "half") else "right")
    for dataset, half, scores in labelled_rows(workspace, args.figure, limit):
        people.add_row(dataset, half, str(scores["n"]), str(scores["accepted"]), str(scores["generated"]),
                       *(f"{100 * scores[key]:.1f}%" for key in ("accuracy", "precision", "recall")))
    console.print(people)

    real = Table(title="2. real test images toward their own class: generated (target >= 95% each)")
    real.add_column("data set")
    battery_table = Table(title="3. failure battery, judged as if the guided model were sure (<= 2%; prototypes <= 10%)")
    for header in ("data set", "group", "n", "generated", "target"):
        battery_table.add_column(header, justify="left" if header in ("data set", "group", "target") else "right")
    sets = Table(title="4. set metrics against real test images (real-vs-real at the same size in brackets)")
    for header in ("data set", "set", "FD", "precision", "recall", "coverage", "C2ST"):
        sets.add_column(header, justify="left" if header in ("data set", "set") else "right")
    for column in range(10):
        real.add_column(str(column), justify="right")
    timing = []
    for dataset, (target, flip_from) in TARGETS.items():
        data = workspace.data(dataset)
        shares = [generated_share(workspace.judge(dataset, c), as_pixels(data.test_digits(c)), c) for c in range(10)]
        real.add_row(dataset, *(f"{100 * share:.1f}" for share in shares))
        standard, robust = (workspace.guided_model(name, dataset, target) for name in ("standard", "robust"))
        judge = workspace.judge(dataset, target)
        groups = failure_battery(data, standard, robust, n=args.n, flip_from=flip_from)
        real_test = data.test_digits(target)
        for name, images in groups.items():
            share = generated_share(judge, images, target)
            battery_table.add_row(dataset, name, str(len(images)), f"{100 * share:.1f}%", "<= 10%" if name == PROTOTYPES else "<= 2%")
        real_sample = as_pixels(real_test[np.random.default_rng(7).permutation(len(real_test))[:args.n]])
        for name, images in ({"real test images": real_sample} | {k: groups[k] for k in (PROTOTYPES, "L1-shrunk sketches")}).items():
            m = set_metrics(judge, images, real_test)
            c2st_real = "-" if m["c2st_real"] is None else f"{m['c2st_real']:.2f}"
            sets.add_row(dataset, name, f"{m['fd']:.1f} ({m['fd_real']:.1f})",
                         *(f"{m[k]:.2f} ({m[k + '_real']:.2f})" for k in ("precision", "recall", "coverage")),
                         f"{m['c2st']:.2f} ({c2st_real})")
        batch = groups[PROTOTYPES]
        judge_images(judge, batch, robust, target, 0.99)  # warm up
        started = time.perf_counter()
        judge_images(judge, batch, robust, target, 0.99)
        set_metrics(judge, batch, real_test)
        timing.append(f"{dataset}: judging {len(batch)} images, verdicts and set metrics: "
                      f"{time.perf_counter() - started:.2f} s (target <= 2 s)")
    console.print(real)
    console.print(battery_table)
    console.print(sets)
    for line in timing:
        console.print(f"5. {line}")


if __name__ == "__main__":
    main()
