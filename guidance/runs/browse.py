"""Read run folders back: what `guide show` and `guide list` print.

Only JSON, TOML and the numpy archive are read, never a model, so neither torch
nor fastai is imported: looking at a hundred runs takes well under a second.
Interrupted, failed (NaN) and killed runs are readable too; whatever they saved is shown.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

from guidance.configs import ExperimentConfig, experiment_class, experiment_from_dict
from guidance.core.errors import RunFolderError
from guidance.runs.folders import RUN_FORMAT, is_run_folder, load_images, process_alive, read_status
from guidance.runs.tables import run_row, sort_rows

STATES = {
    "finished": "finished",
    "early_stop": "finished early: every image reached the threshold",
    "interrupted": "interrupted by the user; showing what it saved",
    "nan": "failed: the loss became NaN; showing what it saved",
    "incomplete": "incomplete: no summary.json and no status.json (the process stopped before its first step)",
    "running": "running (or resuming) in another process now; showing what it has saved so far",
    "killed": "killed: the process stopped without finishing; showing what it saved (--resume continues it)",
}


@dataclass
class RunRecord:
    """One run folder as saved: its config, summary (if it got that far) and log rows."""

    folder: Path
    config: dict[str, Any]
    summary: dict[str, Any] | None

    @cached_property
    def log(self) -> list[dict[str, Any]]:
        """metrics.jsonl rows, read on first use (`guide list` never needs them)."""
        return _read_log(self.folder / "metrics.jsonl")

    @property
    def kind(self) -> str:
        """'run' or 'diffuse': said in config.toml (older folders: read from its keys)."""
        return experiment_class(self.config).kind

    def typed_config(self) -> ExperimentConfig:
        """The run's config as the dataclass it was made from."""
        return experiment_from_dict(self.config, str(self.folder / "config.toml"))

    @cached_property
    def status(self) -> dict[str, Any]:
        """status.json: where the run stands (or stood when it stopped), and which process ran it."""
        return read_status(self.folder) or {}

    @property
    def state(self) -> str:
        """How the run stands: its summary's status, else 'running', 'killed' or 'incomplete'."""
        if self.summary:
            return self.summary["status"]
        if not self.status:
            return "incomplete"
        return "running" if process_alive(self.status) else "killed"

    @property
    def name(self) -> str:
        return (self.summary or {}).get("experiment") or self.config.get("experiment") or self.folder.name

    def images(self) -> dict[str, np.ndarray] | None:
        """The arrays of images.npz, or None when the run never saved them."""
        if not (self.folder / "images.npz").is_file():
            return None
        return load_images(self.folder)


def read_run(folder: str | Path) -> RunRecord:
    """Read a run folder, with one clear error when it is not one this version can read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"run folder not found: {folder}")
    config_path, summary_path = folder / "config.toml", folder / "summary.json"
    if not is_run_folder(folder):
        raise RunFolderError(f"{folder} is not a run folder (no config.toml or summary.json)")
    summary = None
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunFolderError(f"{summary_path} is corrupt ({error})") from None
        if not isinstance(summary, dict) or summary.get("format") != RUN_FORMAT:
            found = summary.get("format", "none") if isinstance(summary, dict) else "none"
            raise RunFolderError(
                f"{folder} was written by an incompatible version of the kit (format '{found}', this one reads '{RUN_FORMAT}')"
            )
    try:
        config = tomllib.loads(config_path.read_text()) if config_path.is_file() else summary["config"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{config_path} is corrupt ({error})") from None
    return RunRecord(folder, config, summary)


def _read_log(path: Path) -> list[dict[str, Any]]:
    """metrics.jsonl rows; a half-written last line (a killed run) is skipped."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return rows


def find_runs(root: str | Path) -> list[Path]:
    """Run folders under `root`: its subfolders, and the runs inside comparisons and showcases."""
    root = Path(root)
    if not root.is_dir():
        return []
    marks = [*root.glob("*/config.toml"), *root.glob("*/*/config.toml")]
    return sorted({mark.parent for mark in marks})


def run_date(record: RunRecord) -> str:
    """When the run started: its summary's record, else the time config.toml was written."""
    created = (record.summary or {}).get("created")
    if created:
        return created
    path = record.folder / "config.toml"
    stamp = path.stat().st_mtime if path.exists() else record.folder.stat().st_mtime
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def record_row(record: RunRecord, root: Path | None = None) -> dict[str, Any]:
    """A table row for any run, finished or not."""
    summary = record.summary or {"config": record.config, "status": record.state,
                                 "steps_done": record.log[-1]["step"] if record.log else 0}
    row = run_row(summary, record.name, run_date(record))
    inside = root is not None and record.folder.resolve().is_relative_to(root.resolve())
    row["folder"] = str(record.folder.resolve().relative_to(root.resolve()) if inside else record.folder)
    row["path"] = str(record.folder.resolve())  # what `guide show` takes, from anywhere
    return row


def list_runs(root: str | Path, experiment: str | None = None, sort: str | None = "date") -> tuple[list[dict], list[str]]:
    """Rows for every run under `root` (optionally one experiment), and notes on unreadable folders."""
    rows, notes = [], []
    root = Path(root)
    for folder in find_runs(root):
        try:
            record = read_run(folder)
        except RunFolderError as error:
            notes.append(f"skipped: {error}")
            continue
        if experiment and record.name != experiment:
            continue
        rows.append(record_row(record, root))
    return sort_rows(rows, sort), notes


def write_missing_pictures(record: RunRecord) -> list[str]:
    """contact.png and curves.png for a run that lacks them; returns notes on what was (not) written."""
    from guidance.runs import figures

    notes, arrays = [], record.images()
    contact, curves = record.folder / "contact.png", record.folder / "curves.png"
    if contact.is_file():
        notes.append(f"{contact} already there")
    elif arrays is None or record.summary is None:
        notes.append("no contact sheet: the run saved no images.npz / summary.json")
    else:
        figures.contact_sheet(contact, arrays["frames"], arrays["steps"], record.summary)
        notes.append(f"wrote {contact}")
    if curves.is_file():
        notes.append(f"{curves} already there")
    elif not record.log:
        notes.append("no curves: metrics.jsonl is missing or empty")
    else:
        figures.curves(curves, record.log, record.name)
        notes.append(f"wrote {curves}")
    return notes
