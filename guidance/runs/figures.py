"""Pictures of a run: enlarged PNG frames, a contact sheet, a GIF, loss curves.

Everything takes numpy arrays in [0, 1] shaped (T, B, H, W) and writes a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from guidance.core.datasets import target_name

MAX_ROWS = 16  # images shown in a contact sheet; a batch of 64 would be unreadable


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8, clipping what the loop left outside (e.g. --no-clamp)."""
    return np.round(np.clip(np.nan_to_num(images), 0, 1) * 255).astype(np.uint8)


def grid(batch: np.ndarray, scale: int) -> np.ndarray:
    """(B, H, W) -> one uint8 image: a near-square grid, each image enlarged by `scale`."""
    count, height, width = batch.shape
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    canvas = np.full((rows * (height + 1) + 1, columns * (width + 1) + 1), 64, dtype=np.uint8)
    for i, image in enumerate(to_uint8(batch)):
        r, c = divmod(i, columns)
        canvas[1 + r * (height + 1) : 1 + r * (height + 1) + height, 1 + c * (width + 1) : 1 + c * (width + 1) + width] = image
    return canvas.repeat(scale, 0).repeat(scale, 1)  # nearest-neighbour enlargement


def _scale(count: int) -> int:
    return 8 if count <= 4 else 4 if count <= 16 else 2


def write_frames(folder: Path, frames: np.ndarray, steps: np.ndarray, prefix: str = "step") -> None:
    """One PNG per snapshot (the batch as a grid), named by step."""
    from PIL import Image

    folder.mkdir(exist_ok=True)
    scale = _scale(frames.shape[1])
    for frame, step in zip(frames, steps):
        Image.fromarray(grid(frame, scale)).save(folder / f"{prefix}_{int(step):05d}.png")


def write_gif(path: Path, frames: np.ndarray, milliseconds: int = 200) -> None:
    """The trajectory as an animated GIF; the last frame is held a little longer."""
    from PIL import Image

    scale = _scale(frames.shape[1])
    pictures = [Image.fromarray(grid(frame, scale)) for frame in frames]
    durations = [milliseconds] * (len(pictures) - 1) + [milliseconds * 5]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=durations, loop=0)


def contact_sheet(path: Path, frames: np.ndarray, steps: np.ndarray, summary: dict[str, Any], what: str = "") -> None:
    """Rows = images, columns = snapshots; each image's final p(target) on the right."""
    plt = _pyplot()
    shown = frames[:, :MAX_ROWS]
    columns, rows = shown.shape[0], shown.shape[1]
    figure, axes = plt.subplots(rows, columns, figsize=(0.9 * columns + 0.8, 0.9 * rows + 0.6), squeeze=False)
    for row in range(rows):
        for column in range(columns):
            axis = axes[row, column]
            axis.imshow(np.clip(shown[column, row], 0, 1), cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(f"step {int(steps[column])}", fontsize=7)
        image = summary["images"][row]
        label = f"p={image['p_target']:.3f}" + (f"\n{image['verdict']}" if "verdict" in image else "")
        axes[row, -1].yaxis.set_label_position("right")
        axes[row, -1].set_ylabel(label, fontsize=7, rotation=0, labelpad=18)
    figure.suptitle(f"{summary['experiment']}: toward {target_name(summary['config'])}" + (f" ({what})" if what else ""), fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def curves(path: Path, history: list[dict[str, Any]], title: str, loss_label: str = "objective") -> None:
    """Loss and p(target) against step: every image faint, the batch mean bold."""
    plt = _pyplot()
    steps = [row["step"] for row in history]
    figure, (loss_axis, p_axis) = plt.subplots(1, 2, figsize=(9, 3.2))
    for axis, key, label in ((loss_axis, "loss", loss_label), (p_axis, "p_target", "p(target)")):
        per_image = np.array([row["images"][key] for row in history])
        axis.plot(steps, per_image, color="tab:blue", alpha=0.15, linewidth=0.8)
        axis.plot(steps, per_image.mean(1), color="tab:blue", linewidth=2)
        axis.set_xlabel("step")
        axis.set_ylabel(label)
    p_axis.set_ylim(-0.02, 1.02)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def comparison_snapshots(path: Path, entries: list[tuple[str, np.ndarray, np.ndarray]], image: int = 0,
                         most: int = 11, percent: bool = False) -> None:
    """A row per run, a column per snapshot step (image `image` of each batch).

    Columns are the runs' snapshot steps together (at most `most`, spread evenly);
    a run shows its latest snapshot at or before that step, so one that stopped
    early keeps showing where it stopped. With `percent`, steps are percentages of
    each run's length (runs of different lengths side by side: 500 loop steps, 50 sampling steps).
    """
    plt = _pyplot()
    all_steps = sorted({int(step) for _, _, steps in entries for step in steps})
    if len(all_steps) > most:  # the steps nearest to `most` evenly spaced values
        wanted = np.linspace(all_steps[0], all_steps[-1], most)
        all_steps = sorted({min(all_steps, key=lambda s: abs(s - w)) for w in wanted})
    figure, axes = plt.subplots(len(entries), len(all_steps), squeeze=False,
                                figsize=(0.95 * len(all_steps) + 1.6, 1.05 * len(entries) + 0.5))
    for row, (name, frames, steps) in enumerate(entries):
        for column, step in enumerate(all_steps):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            earlier = [i for i, s in enumerate(steps) if s <= step]
            if earlier and image < frames.shape[1]:
                axis.imshow(np.clip(frames[earlier[-1], image], 0, 1), cmap="gray", vmin=0, vmax=1)
            if row == 0:
                axis.set_title(f"{step}% of run" if percent else f"step {step}", fontsize=7)
        axes[row, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    figure.suptitle(f"image #{image} of each run", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def comparison_curves(path: Path, entries: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """Batch-mean p(target) and objective against step, one line per run."""
    plt = _pyplot()
    figure, (p_axis, loss_axis) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, history in entries:
        steps = [row["step"] for row in history]
        p_axis.plot(steps, [row["p_target"] for row in history], label=name)
        loss_axis.plot(steps, [row["loss"] for row in history], label=name)
    p_axis.set_ylim(-0.02, 1.02)
    p_axis.set_ylabel("mean p(target)")
    loss_axis.set_ylabel("mean objective")
    loss_axis.set_yscale("symlog", linthresh=1e-3)  # losses of different kinds span decades
    for axis in (p_axis, loss_axis):
        axis.set_xlabel("step")
    p_axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def sweep_heatmap(path: Path, rows: list[dict[str, Any]], metric: str, x: str, y: str) -> None:
    """`metric` over two sweep axes, averaged over the others (and over seeds); blank where nothing finished."""
    plt = _pyplot()
    xs = list(dict.fromkeys(row[x] for row in rows))
    ys = list(dict.fromkeys(row[y] for row in rows))
    grid = np.full((len(ys), len(xs)), np.nan)
    for i, y_value in enumerate(ys):
        for j, x_value in enumerate(xs):
            values = [row[metric] for row in rows if row[x] == x_value and row[y] == y_value
                      and isinstance(row.get(metric), (int, float))]
            if values:
                grid[i, j] = float(np.mean(values))
    figure, axes = plt.subplots(figsize=(1.2 + 1.1 * len(xs), 1.0 + 0.6 * len(ys)))
    image = axes.imshow(grid, cmap="viridis", aspect="auto")
    axes.set_xticks(range(len(xs)), [str(v) for v in xs])
    axes.set_yticks(range(len(ys)), [str(v) for v in ys])
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    for i in range(len(ys)):
        for j in range(len(xs)):
            if not np.isnan(grid[i, j]):
                axes.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", color="white", fontsize=8)
    figure.colorbar(image, ax=axes, label=metric)
    axes.set_title(f"{metric} (mean over the other axes)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def scale_sweep(path: Path, rows: list[dict[str, Any]]) -> None:
    """The guidance-scale sweep: generated share, p(target) and the set metrics against the scale.

    One line per guidance kind and classifier; the set metrics' real-vs-real values are the
    dashed lines a perfect generator would sit on (fidelity rises with the scale, diversity falls).
    """
    plt = _pyplot()
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        label = row["guidance"] + (f" ({row['model']})" if row["guidance"] == "classifier" else "")
        groups.setdefault(label, []).append(row)
    panels = [("generated", "share generated"), ("p_mean", "mean p(target), judge"),
              ("recall", "recall"), ("coverage", "coverage"), ("precision", "precision"), ("fd", "FD (judge features)")]
    figure, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels), 3.2))
    for label, group in groups.items():
        group = sorted(group, key=lambda row: row["scale"])
        scales = [row["scale"] for row in group]
        for axis, (key, _) in zip(axes, panels):
            values = [row.get(key) for row in group]
            if key == "generated":
                values = [row["generated"] / row["batch"] for row in group]
            axis.plot(scales, [np.nan if v is None else v for v in values], marker="o", label=label)
    for axis, (key, title) in zip(axes, panels):
        real = [row.get(f"{key}_real") for row in rows if row.get(f"{key}_real") is not None]
        if real:
            axis.axhline(float(np.mean(real)), color="grey", linestyle="--", linewidth=1, label="real vs real")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("guidance scale")
        if max(row["scale"] for row in rows) > 20:  # classifier scales span decades
            axis.set_xscale("symlog", linthresh=1.0)
        if key not in ("fd", "coverage"):  # coverage of a small set is small, real or not: let it scale
            axis.set_ylim(-0.02, 1.02)
        elif key == "coverage":
            axis.set_ylim(bottom=0)
    axes[0].legend(fontsize=7)
    figure.suptitle(f"{len(rows)} runs of {rows[0]['batch']} images; dashed: the same metric for real digits "
                    "against real digits at the same size", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def strength_sweep(path: Path, rows: list[dict[str, Any]], finals: list[np.ndarray], starts: np.ndarray,
                   shown: int = 8) -> None:
    """Image-to-image over the strength: the first `shown` starts, then each strength's results, one row each,
    beside the generated share, the L2 from the start and the judge's p of the start's class."""
    plt = _pyplot()
    order = sorted(range(len(rows)), key=lambda i: rows[i]["strength"])
    figure = plt.figure(figsize=(12, 1.0 + 0.9 * (len(rows) + 1)))
    pictures = figure.add_axes((0.1, 0.02, 0.47, 0.9))
    strip = [starts[:shown], *(finals[i][:shown] for i in order)]
    height = starts.shape[1] + 1
    pictures.imshow(_rows_canvas(strip), cmap="gray", vmin=0, vmax=255)
    pictures.set_yticks([1 + (k + 0.5) * height for k in range(len(strip))],
                        ["start"] + [f"strength {rows[i]['strength']:g}" for i in order], fontsize=8)
    pictures.set_xticks([])
    strengths = [rows[i]["strength"] for i in order]
    panels = [([rows[i]["generated"] / rows[i]["batch"] for i in order], "share generated"),
              ([rows[i]["l2_mean"] for i in order], "L2 from the start"),
              ([rows[i].get("p_start_mean") for i in order], "judge p(start's class)")]
    for k, (values, title) in enumerate(panels):
        axis = figure.add_axes((0.62, 0.72 - k * 0.3, 0.36, 0.18))
        axis.plot(strengths, [np.nan if v is None else v for v in values], marker="o")
        axis.set_title(title, fontsize=9)
        axis.tick_params(labelsize=8)
    axis.set_xlabel("strength (the start noised to strength x T, then denoised)", fontsize=8)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _rows_canvas(rows: list[np.ndarray]) -> np.ndarray:
    """Batches (B, H, W), one per row, side by side on a grey canvas with 1-pixel gaps."""
    count, height, width = max(len(r) for r in rows), rows[0].shape[1], rows[0].shape[2]
    canvas = np.full((len(rows) * (height + 1) + 1, count * (width + 1) + 1), 64, dtype=np.uint8)
    for r, batch in enumerate(rows):
        for c, image in enumerate(to_uint8(batch)):
            canvas[1 + r * (height + 1): (r + 1) * (height + 1), 1 + c * (width + 1): (c + 1) * (width + 1)] = image
    return canvas
