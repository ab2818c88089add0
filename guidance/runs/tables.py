"""One row per run, read from its summary.json: what `guide compare` and `guide list` tabulate.

Plain dicts of numbers and strings, so the same rows become a rich table, CSV and
JSON. This module imports neither torch nor fastai: listing 100 runs stays instant.
"""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path
from typing import Any

from guidance.core.datasets import DEFAULT_DATASET, target_name
from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean
from guidance.runs.folders import summary_kind
from guidance.verdicts.names import VERDICTS

VERDICT_NAMES = VERDICTS

# column key -> header; the order tables are printed in
COLUMNS: dict[str, str] = {
    "name": "run",
    "date": "date",
    "model": "model",
    "target": "target",
    "guidance": "guidance",
    "scale": "scale",
    "start": "start",
    "loss": "loss",
    "steps": "steps",
    "batch": "batch",
    "status": "status",
    "p_mean": "p(target) mean",
    "p_std": "p sd",
    "reached": "reached",
    "reached_median_step": "steps to reach",
    **{verdict: verdict for verdict in VERDICT_NAMES},
    "fd": "FD",
    "fd_real": "FD real",
    "precision": "precision",
    "recall": "recall",
    "coverage": "coverage",
    "coverage_real": "cov. real",
    "c2st": "C2ST",
    "c2st_real": "C2ST real",
    "twins": "near twins",
    "twins_real": "near twins real",
    "l2_mean": "L2",
    "p_start_mean": "judge p(start class)",
    "p_negative_mean": "judge p(negative)",
    "linf_mean": "Linf",
    "wall_s": "wall s",
    "folder": "folder",
    "source": "source",
}
SET_COLUMNS = ("fd", "fd_real", "precision", "precision_real", "recall", "recall_real", "coverage", "coverage_real",
               "c2st", "c2st_real", "twins", "twins_real")
TEXT_COLUMNS = ("name", "date", "model", "target", "guidance", "start", "loss", "status", "folder", "source")
# the terminal's comparison table; compare.csv and compare.json hold every column (p sd and Linf too)
COMPARE_COLUMNS = ["name", "model", "start", "loss", "steps", "p_mean", "reached", "reached_median_step",
                   *VERDICT_NAMES, "fd", "fd_real", "precision", "recall", "coverage", "coverage_real", "c2st", "c2st_real",
                   "l2_mean", "wall_s"]
LIST_COLUMNS = ["name", "date", "model", "target", "start", "steps", "status", "p_mean", *VERDICT_NAMES, "folder"]
DIFFUSION_COLUMNS = ("guidance", "scale")  # shown after the model when a diffusion run is among the rows


def with_diffusion_columns(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """`columns` plus guidance and scale (after the model) when some row is a diffusion run."""
    if not any(row.get("guidance") for row in rows):
        return columns
    at = columns.index("model") + 1 if "model" in columns else 1
    return [*columns[:at], *DIFFUSION_COLUMNS, *[c for c in columns[at:] if c not in DIFFUSION_COLUMNS]]


def scale_sweep_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The judged diffusion rows, when one guidance kind (and classifier) ran at two or more scales; else []."""
    judged = [row for row in rows if row.get("guidance") and row.get("generated") is not None]
    scales: dict[tuple, set] = {}
    for row in judged:
        scales.setdefault((row["guidance"], row["model"]), set()).add(row["scale"])
    return judged if any(len(found) > 1 for found in scales.values()) else []


def _target_label(config: dict[str, Any]) -> str:
    """'8' for MNIST (as before data sets), 'fashion-mnist sneaker' otherwise."""
    dataset = config.get("dataset", DEFAULT_DATASET)
    return target_name(config) if dataset == DEFAULT_DATASET else f"{dataset} {target_name(config)}"


def run_row(summary: dict[str, Any], name: str, date: str = "") -> dict[str, Any]:
    """The numbers that describe one run, from its summary.json."""
    images = summary.get("images", [])
    config = summary.get("config", {})
    p_values = [image["p_target"] for image in images]
    reached = [image["reached_step"] for image in images if image.get("reached_step") is not None]
    verdicts = summary.get("verdicts") or {}
    diffusion = summary_kind(summary) == "diffuse"
    return {
        "name": name,
        "date": date,
        "model": (summary.get("model") or {}).get("name") or config.get("model", "?"),
        "target": _target_label(config),
        "guidance": config.get("guidance"),
        "scale": config.get("scale"),
        "start": _start_label(config, diffusion),
        "loss": config.get("sampler", "?") if diffusion else config.get("loss", "?"),
        "steps": summary.get("steps_done", 0),
        "batch": len(images),
        "status": summary.get("status", "?"),
        "p_mean": _mean(p_values),
        "p_std": statistics.pstdev(p_values) if p_values else None,
        "reached": f"{len(reached)}/{len(images)}",
        "reached_median_step": statistics.median(reached) if reached else None,
        **{verdict: verdicts.get(verdict) if verdicts else None for verdict in VERDICT_NAMES},
        **{name: (summary.get("set_metrics") or {}).get(name) for name in SET_COLUMNS},
        "l2_mean": _mean([image["l2"] for image in images]),
        "p_start_mean": _mean([image["judge_p_start"] for image in images if "judge_p_start" in image]),
        "p_negative_mean": _mean([image["judge_p_negative"] for image in images if "judge_p_negative" in image]),
        "linf_mean": _mean([image["linf"] for image in images]),
        "wall_s": summary.get("wall_seconds"),
    }


def _start_label(config: dict[str, Any], diffusion: bool) -> str:
    """The loop's start spec; a diffusion run's pure noise, or its image-to-image start and strength."""
    if not diffusion:
        return config.get("start", "?")
    start = config.get("start", "noise")
    return "N(0, I)" if start == "noise" else f"{start} @ {config.get('strength')}"


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def sort_rows(rows: list[dict[str, Any]], column: str | None) -> list[dict[str, Any]]:
    """Sort by a column, `COLUMN:asc` or `COLUMN:desc`; by default numbers (and 'a/b' counts)
    largest first, text alphabetically; missing values last."""
    if not column:
        return rows
    column, _, direction = column.partition(":")
    if column not in COLUMNS:
        raise ConfigError(f"cannot sort by '{column}'{did_you_mean(column, list(COLUMNS))}; columns: {', '.join(COLUMNS)}")
    if direction not in ("", "asc", "desc"):
        raise ConfigError(f"sort direction must be 'asc' or 'desc', got '{direction}' (as in --sort {column}:asc)")
    key = lambda row: _sortable(row[column])  # noqa: E731
    present = [row for row in rows if row.get(column) is not None]
    missing = [row for row in rows if row.get(column) is None]
    numeric = all(isinstance(key(row), (int, float)) for row in present)
    present.sort(key=key, reverse=direction == "desc" or (numeric and direction != "asc"))
    return present + missing


def _sortable(value: Any) -> Any:
    """'7/8' sorts as 0.875; everything else as it is."""
    if isinstance(value, str) and value.count("/") == 1 and value.replace("/", "").isdigit():
        done, total = value.split("/")
        return int(done) / max(int(total), 1)
    return value


def format_cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in ("p_mean", "p_std", "p_start_mean", "p_negative_mean"):
        return f"{value:.4f}"
    if column in ("l2_mean", "linf_mean") or column in SET_COLUMNS:
        return f"{value:.3f}" if not column.startswith("fd") else f"{value:.1f}"
    if column == "date":
        return str(value)[:16]  # to the minute
    if column == "wall_s":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows_table(rows: list[dict[str, Any]], columns: list[str], title: str = ""):
    """A rich Table of `rows` with the given columns."""
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    for column in columns:  # a column the table does not know (a sweep axis) shows under its own name
        table.add_column(COLUMNS.get(column, column), justify="left" if column in TEXT_COLUMNS else "right")
    for row in rows:
        table.add_row(*(format_cell(column, row.get(column)) for column in columns))
    return table


def write_rows(folder: Path, stem: str, rows: list[dict[str, Any]], first: tuple[str, ...] = ()) -> None:
    """The rows as <stem>.csv and <stem>.json (full precision); `first` columns lead the CSV (a sweep's axes)."""
    columns = list(dict.fromkeys([*first, *COLUMNS]))
    with open(folder / f"{stem}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({key: row.get(key) for key in columns} for row in rows)
    (folder / f"{stem}.json").write_text(json.dumps(rows, indent=2) + "\n")
