"""Runs in TensorBoard: scalars per logged step, image grids per snapshot, the config and verdicts as text.

``TensorBoardLog`` is a loop (and sampler) callback, like the JSONL log: the loop does not know it
is there. One TensorBoard run per kit run, named like the run folder; a sweep adds every point
to the HParams plugin (``log_sweep``). TensorBoard is an optional extra:
``pip install 'guidance-kit[tensorboard]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guidance.optimize.loop import Callback

SWEEP_METRICS = ("generated", "p_mean", "fd", "recall", "coverage", "c2st", "l2_mean")  # the HParams view's metric columns


def _writer(folder: Path):
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(folder))


class TensorBoardLog(Callback):
    """Write a run's scalars, image grids and text into ``<logdir>/<name>`` as it goes."""

    def __init__(self, logdir: str | Path, name: str):
        self.folder = Path(logdir) / name
        self.writer = None
        self.last_step = 0

    def before_run(self, config, start) -> None:
        self.writer = _writer(self.folder)
        self.writer.add_text("config", "```toml\n" + config.to_toml() + "```", 0)

    def after_log(self, record: dict[str, Any]) -> None:
        step, images = record["step"], record["images"]
        mean = lambda values: sum(values) / len(values)
        scalars = {"run/loss": record["loss"], "run/p_target": record["p_target"]}
        scalars |= {f"terms/{k.removeprefix('term_')}": v for k, v in record.items() if k.startswith("term_")}
        if "lr" in record:  # the guidance loop
            scalars |= {"run/step_size": record["lr"], "run/l2_from_start": mean(images["l2"]),
                        "run/linf_from_start": mean(images["linf"])}
        if "timestep" in record:  # the sampler; p_target is then the judge's on the predicted clean image
            scalars |= {"sampling/timestep": record["timestep"], "sampling/noise_level": record["noise_level"]}
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, value, step)
        self.last_step = step

    def after_snapshot(self, step: int, images: dict[str, Any]) -> None:
        for name, batch in images.items():  # one grid per snapshot; the dashboard scales it up
            self.writer.add_images(f"images/{name}", batch.clamp(0, 1), step, dataformats="NCHW")

    def after_run(self, result) -> None:
        self.last_step = result.steps_done
        self.writer.flush()

    def finish(self, summary: dict[str, Any]) -> None:
        """The verdict table as text and the verdict counts and set metrics as scalars at the last step; close."""
        if self.writer is None:
            return
        step = self.last_step
        counts = summary.get("verdicts") or {}
        for verdict, count in counts.items():
            self.writer.add_scalar(f"verdicts/{verdict}", count, step)
        for name, value in (summary.get("set_metrics") or {}).items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(f"set_metrics/{name}", value, step)
        self.writer.add_text("verdicts", verdict_markdown(summary), step)
        self.writer.close()


def verdict_markdown(summary: dict[str, Any]) -> str:
    """One row per image: start, p(target), L2 from the start, verdict; then the counts."""
    rows = ["| # | start | p(target) | L2 | verdict |", "| --- | --- | --- | --- | --- |"]
    for i, image in enumerate(summary.get("images", [])):
        rows.append(f"| {i} | {image.get('start', '')} | {image['p_target']:.3f} | {image['l2']:.2f} "
                    f"| {image.get('verdict', '-')} |")
    counts = summary.get("verdicts") or {}
    tail = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "not judged"
    return "\n".join(rows) + f"\n\n{summary.get('status', '')}; {tail}"


def log_sweep(logdir: str | Path, rows: list[dict[str, Any]], axes: list[str]) -> int:
    """Every finished sweep point into TensorBoard's HParams plugin, beside its run; returns how many."""
    from torch.utils.tensorboard.summary import hparams

    written = 0
    for row in rows:
        if row.get("status") not in ("finished", "early_stop"):
            continue
        params = {axis: _hparam(row.get(axis)) for axis in axes}
        metrics = {f"sweep/{name}": float(row[name]) for name in SWEEP_METRICS
                   if isinstance(row.get(name), (int, float))}
        writer = _writer(Path(logdir) / row["name"])
        for event in hparams(params, metrics):
            writer.file_writer.add_summary(event)
        for name, value in metrics.items():
            writer.add_scalar(name, value, 0)
        writer.close()
        written += 1
    return written


def _hparam(value: Any) -> Any:
    """What the HParams plugin takes: numbers, strings and booleans."""
    return value if isinstance(value, (int, float, str, bool)) else str(value)
