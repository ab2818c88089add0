"""Rich renderables: training reports, run summaries, images drawn in the terminal.

Functions here take plain data (dicts from metrics.json / summary.json, numpy
arrays) and return rich objects; the CLI prints them.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.table import Table
from rich.text import Text

from guidance.core.datasets import DEFAULT_DATASET, class_name, target_name
from guidance.runs.folders import summary_kind

FRAME_COLUMNS = 28  # a terminal image: one column a pixel (MNIST's 28), two pixels a line
FRAME_GAP = 2  # columns between two terminal images side by side


def train_table(info: dict[str, Any], folder: str) -> Table:
    """The final report of `guide train`: test metrics, confusion matrix, wall time."""
    test = info["test"]
    dataset = info.get("train_config", {}).get("dataset", DEFAULT_DATASET)
    target = None if info["target"] is None else class_name(dataset, info["target"])
    task = (f"{target} vs rest" if target is not None else "real vs artificial" if info.get("class_names") == ["real", "artificial"]
            else f"all {dataset} classes")
    table = Table(title=f"{info['arch']} on {dataset}: {task}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    confusion = test["confusion"]
    table.add_row("test error rate", f"{100 * test['error_rate']:.2f}%  ({test['n']:,} test images)")
    table.add_row("balanced accuracy", f"{100 * test['balanced_accuracy']:.2f}%")
    if target is not None:
        table.add_row(
            "confusion (rows true)",
            f"{target}: {confusion[0][0]:>5} as {target}, {confusion[0][1]:>4} as rest\n"
            f"rest: {confusion[1][0]:>4} as {target}, {confusion[1][1]:>5} as rest",
        )
    else:
        table.add_row("confusion (rows true)", "\n".join(" ".join(f"{n:>5}" for n in row) for row in confusion))
    if "robust" in info:
        robust = info["robust"]
        table.add_row(
            "robust accuracy",
            f"{100 * robust['robust_accuracy']:.2f}% (balanced {100 * robust['robust_balanced_accuracy']:.2f}%) under "
            f"{robust['norm'].upper()} PGD eps {robust['eps']}, {robust['steps']} steps, first {robust['n']:,} test images",
        )
    table.add_row("wall time", f"{info['train_seconds']:.1f} s")
    table.add_row("data", f"{info['data']['source']} ({info['data']['fingerprint']})")
    table.add_row("saved to", folder)
    return table


def diffusion_train_table(info: dict[str, Any], folder: str) -> Table:
    """The final report of `guide train --preset denoiser | noisy`: test metrics per noise level (timestep)."""
    test = info["test"]
    table = Table(title=f"{info['name']}: held-out test digits by timestep", title_justify="left")
    table.add_column("timestep", justify="right")
    if "balanced_accuracy" in test:
        table.add_column(f"balanced accuracy, {target_name(info['train_config'])} vs rest", justify="right")
        for step, accuracy in test["balanced_accuracy"].items():
            table.add_row(step, f"{100 * accuracy:.2f}%")
    else:
        table.add_column("noise MSE, digit given", justify="right")
        table.add_column("noise MSE, none", justify="right")
        for step, error in test["mse_conditional"].items():
            table.add_row(step, f"{error:.4f}", f"{test['mse_unconditional'][step]:.4f}")
    table.caption = (f"{test['n']:,} test images; {info['train_seconds']:.1f} s to train on "
                     f"{info['data']['source']} ({info['data']['fingerprint']}); saved to {folder}")
    table.caption_justify = "left"
    return table


def run_table(summary: dict[str, Any], limit: int = 16) -> Table:
    """Per-image outcome of a run, narrow enough for an 80-column terminal (two lines an image at most).

    Long notes (a flip that a PNG does not keep) become a footnote under the table.
    """
    from rich import box

    target = target_name(summary["config"])
    threshold = summary["reached"]["threshold"]
    table = Table(
        title=f"{summary['experiment']}: {summary['status']} after {summary['steps_done']} steps "
        f"({summary['wall_seconds']:.1f} s); final = {summary['final_holds']} image",
        title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
    )
    judged = "verdicts" in summary
    headers = ["#", "start", f"p({target})", "top", "L2", "reached"]
    if judged:
        headers += ["judge", "critic", "verdict"]
    for header in headers:
        table.add_column(header, justify="left" if header in ("start", "top", "verdict") else "right", overflow="fold",
                         no_wrap=header == "verdict")
    footnotes = []
    for i, image in enumerate(summary["images"][:limit]):
        reached = image["reached_step"]
        cells = [
            str(i), image["start"], f"{image['p_target']:.4f}", image["top_class"],
            f"{image['l2']:.2f}", "-" if reached is None else str(reached),
        ]
        if judged:
            if image.get("survives_saving") is False:
                footnotes.append(f"#{i} p={image['p_target_saved']:.2f}")
            artificial = image.get("artificial_p")  # runs judged before the critic have none
            cells += [f"{image['judge_top']} {image['judge_p_top']:.2f}", "-" if artificial is None else f"{artificial:.2f}",
                      _verdict_text(image)]
        table.add_row(*cells)
    hidden = len(summary["images"]) - limit
    if hidden > 0:
        table.add_row("", f"+{hidden} more in summary.json", *[""] * (len(headers) - 2))
    notes = [f"L2 = change from the start; reached = first step with p >= {threshold}"]
    if summary_kind(summary) == "diffuse":
        guide = summary["config"]["guidance"]
        notes = [f"p({target}) and top: the judge on the sample; L2 = distance from the start noise (as pixels); "
                 f"reached = first logged step whose predicted clean image the judge reads as {target}"
                 + (f"; the guiding classifier calls {target} from p {threshold}" if guide == "classifier" else "")]
    if judged:
        first = summary["images"][0]
        notes.append(f"judge = its top class and p; critic = the realism critic's p(artificial) (real-looking under "
                     f"{first.get('artificial_cutoff', 0):.2f}, and within {first.get('feature_cutoff', 0):.2f} of "
                     f"real {target}s in the judge's features)")
        if footnotes:
            notes.append("* the guided model is no longer sure once the image is saved as an 8-bit PNG: "
                         + ", ".join(footnotes))
        counts = ", ".join(f"{n} {name}" for name, n in summary["verdicts"].items() if n)
        notes.append(f"verdicts: {counts}")
        if summary.get("set_metrics"):
            notes.append(set_metrics_text(summary["set_metrics"], target))
    table.caption = "\n".join(notes)
    table.caption_justify = "left"
    return table


VERDICT_STYLES = {"flip": "red", "generated": "green", "artificial": "cyan", "unrealistic": "yellow", "unchanged": "dim",
                  "already": "dim"}


def _verdict_text(image: dict[str, Any]) -> Text:
    """The verdict, coloured; '*' marks a result the saved 8-bit PNG does not keep (see the footnote)."""
    text = Text(image["verdict"], style=VERDICT_STYLES.get(image["verdict"], ""))
    if image.get("survives_saving") is False:
        text.append("*")
    return text


def terminal_image(image: np.ndarray) -> Text:
    """Draw a greyscale (H, W) array in [0, 1] with half blocks: one character = two pixels.

    The upper half block '▀' takes the top pixel as its colour and the bottom
    pixel as its background, so a 28x28 digit fits in 28 columns and 14 lines.
    """
    pixels = np.round(np.clip(np.nan_to_num(image), 0, 1) * 255).astype(int)
    if pixels.shape[0] % 2:
        pixels = np.vstack([pixels, np.zeros((1, pixels.shape[1]), dtype=int)])
    text = Text()
    for top_row, bottom_row in zip(pixels[0::2].tolist(), pixels[1::2].tolist()):
        for top, bottom in zip(top_row, bottom_row):
            text.append("▀", _half_block_style(top, bottom))
        text.append("\n")
    text.rstrip()
    return text


@functools.lru_cache(maxsize=None)
def _half_block_style(top: int, bottom: int) -> Style:
    """Grey top pixel as the colour, grey bottom pixel as the background (made once per pair)."""
    return Style(color=Color.from_rgb(top, top, top), bgcolor=Color.from_rgb(bottom, bottom, bottom))


def image_row(images: list[np.ndarray], captions: list[str]) -> Table:
    """Several terminal images side by side, each with a caption underneath."""
    table = Table.grid(padding=(0, FRAME_GAP))
    for _ in images:
        table.add_column(justify="center")
    table.add_row(*[terminal_image(image) for image in images])
    table.add_row(*[Text(caption, style="dim") for caption in captions])
    return table


def set_metrics_text(measures: dict[str, Any], target: str) -> str:
    """One line: each set measure of a batch beside its real-vs-real value at the same size."""
    pairs = ", ".join(f"{name} {measures[name]:.2f} ({measures[name + '_real']:.2f})"
                      for name in ("precision", "recall", "density", "coverage"))
    c2st_real = measures.get("c2st_real")
    c2st = "" if measures.get("c2st") is None else (
        f", C2ST {measures['c2st']:.2f} ({'-' if c2st_real is None else f'{c2st_real:.2f}'}; 0.5 = indistinguishable)")
    twins = "" if measures.get("twins") is None else (
        f", near twins {measures['twins']:.0%} ({measures['twins_real']:.0%})")
    return (f"set of {measures['n']} vs real {target}s (real-vs-real at the same size in brackets): "
            f"FD {measures['fd']:.1f} ({measures['fd_real']:.1f}), {pairs}{c2st}{twins}")


def verdict_table(
    title: str, verdicts: list[dict[str, Any]], counts: dict[str, int], target: str,
    measures: dict[str, Any] | None = None, limit: int | None = 32,
) -> Table:
    """`guide judge`: one row per image (the first `limit`; None: every one); counts and set metrics below."""
    from rich import box

    def number(value: float | None, digits: int = 4) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    table = Table(title=f"verdicts for {title}", title_justify="left", box=box.SIMPLE_HEAD, caption_justify="left")
    for header in ("#", f"p({target})", "saved", "judge sees", "critic", "feat.", "NN", "verdict"):
        table.add_column(header, justify="left" if header == "verdict" else "right", overflow="fold",
                         no_wrap=header == "verdict")
    shown = verdicts if limit is None else verdicts[:limit]
    for i, verdict in enumerate(shown):
        table.add_row(
            str(i), number(verdict["p_target"]), number(verdict["p_target_saved"]),
            f"{verdict['judge_top']} {verdict['judge_p_top']:.2f}", number(verdict["artificial_p"], 2),
            f"{verdict['feature_distance']:.1f}", f"{verdict['nn_distance']:.1f}", _verdict_text(verdict),
        )
    if len(shown) < len(verdicts):
        table.add_row("", f"+{len(verdicts) - len(shown)} more (--all shows every row)", "", "", "", "", "", "")
    first = verdicts[0]
    table.caption = (f"saved = p({target}) on the 8-bit PNG; critic = the realism critic's p(artificial) (cutoff "
                     f"{first['artificial_cutoff']:.2f}); feat. = distance in the judge's features (cutoff "
                     f"{first['feature_cutoff']:.2f}); NN = pixel distance to the nearest real training {target} "
                     f"(reported only); the judge must give {target} at least p {first['judge_p_floor']:.2f}\nverdicts: "
                     + ", ".join(f"{n} {name}" for name, n in counts.items()))
    if measures:
        table.caption += "\n" + set_metrics_text(measures, target)
    if any(verdict.get("survives_saving") is False for verdict in verdicts):
        table.caption += "\n* the guided model is no longer sure once the image is saved as an 8-bit PNG"
    return table


def config_table(config: dict[str, Any], title: str = "config") -> Table:
    """A run's config as key = value pairs, three to a row."""
    table = Table.grid(padding=(0, 3))
    items = [f"[bold]{key}[/] = {value!r}" for key, value in config.items()]
    per_row = 3
    for _ in range(per_row):
        table.add_column(overflow="fold")  # a long value (a model path) wraps, never loses letters
    for i in range(0, len(items), per_row):
        table.add_row(*items[i : i + per_row], *[""] * (per_row - len(items[i : i + per_row])))
    table.title, table.title_justify = title, "left"
    return table


def log_table(log: list[dict[str, Any]], limit: int = 12) -> Table:
    """metrics.jsonl as a table: step, step size, loss, p(target), each regulariser term."""
    stride = -(-len(log) // limit)  # every stride-th row, so the steps shown stay evenly spaced
    shown = log[::stride] + ([log[-1]] if (len(log) - 1) % stride else [])
    terms = [key for key in (log[0] if log else {}) if key.startswith("term_") and key != "term_loss"]
    table = Table(title=f"log ({len(log)} rows in metrics.jsonl{', every row shown' if len(log) <= limit else ''})",
                  title_justify="left")
    # a guidance run logs its step size; a diffusion run its timestep and noise level
    where = [("lr", "lr", ".4g")] if "lr" in (log[0] if log else {"lr": 0}) else [
        ("timestep", "timestep", "d"), ("noise_level", "noise", ".3f")]
    for header in ("step", *[name for _, name, _ in where], "loss", "p(target)", *[t.removeprefix("term_") for t in terms]):
        table.add_column(header, justify="right", overflow="fold")
    for row in shown:
        table.add_row(str(row["step"]), *[format(row[key], spec) for key, _, spec in where], f"{row['loss']:.5g}",
                      f"{row['p_target']:.4f}", *[f"{row[t]:.4g}" for t in terms])
    return table


def frames_per_row(width: int) -> int:
    """How many 28-column terminal images fit side by side in `width` columns (at least one)."""
    return max(1, (width + FRAME_GAP) // (FRAME_COLUMNS + FRAME_GAP))


def pick_frames(steps: list[int], wanted: str | None, most: int = 6) -> list[int]:
    """Indices of the snapshots to draw: 'all', a list of steps '0,100,500', or up to `most` evenly
    spaced, always the first and the last."""
    if wanted == "all":
        return list(range(len(steps)))
    if wanted:
        from guidance.core.errors import ConfigError

        indices = []
        for part in wanted.split(","):
            part = part.strip()
            if not part.lstrip("-").isdigit() or int(part) not in steps:
                raise ConfigError(f"--frames: no snapshot at step '{part}'; this run has steps {', '.join(map(str, steps))}")
            indices.append(steps.index(int(part)))
        return indices
    most = max(2, most)
    if len(steps) <= most:
        return list(range(len(steps)))
    return sorted({round(i * (len(steps) - 1) / (most - 1)) for i in range(most)})


def frames_view(frames: np.ndarray, steps: list[int], indices: list[int], images: list[int], labels: list[str],
                per_row: int | None = None) -> Table:
    """For each chosen image, its chosen snapshots side by side as terminal images, `per_row` to a
    line of images (the rest on the lines below), so no frame is ever cut at the terminal's edge."""
    per_row = per_row or len(indices) or 1
    table = Table.grid(padding=(1, 0))
    table.add_column()
    for image in images:
        table.add_row(Text(labels[image], style="bold"))
        for first in range(0, len(indices), per_row):
            shown = indices[first:first + per_row]
            table.add_row(image_row([frames[i, image] for i in shown], [f"step {steps[i]}" for i in shown]))
    return table
