"""One row per run, read from its summary.json: what `guide compare` and `guide list` tabulate.

Plain dicts of numbers and strings, so the same rows become a rich table, CSV and
JSON. This module imports neither torch nor fastai: listing 100 runs stays instant.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from pathlib import Path
from typing import Any

from guidance.core.datasets import DEFAULT_DATASET, target_name
from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean
from guidance.runs.folders import summary_kind
from guidance.verdicts.names import VERDICT_SHORT, VERDICTS

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
# the comparison's columns for `rows_table` (a notebook); compare.csv and compare.json hold every column (p sd and Linf too)
COMPARE_COLUMNS = ["name", "model", "start", "loss", "steps", "p_mean", "reached", "reached_median_step",
                   *VERDICT_NAMES, "fd", "fd_real", "precision", "recall", "coverage", "coverage_real", "c2st", "c2st_real",
                   "l2_mean", "wall_s"]
LIST_COLUMNS = ["name", "date", "model", "target", "start", "steps", "status", "p_mean", *VERDICT_NAMES, "folder"]
DIFFUSION_COLUMNS = ("guidance", "scale")  # shown after the model when a diffusion run is among the rows

# Cells made from several values of a row, for the terminal's narrow views (never in CSV or JSON).
DERIVED = {"when": "when", "verdicts": "verdicts", "target_short": "target"}
SHORT_HEADERS = {"p_mean": "p mean", "wall_s": "s"}
# The terminal's views at any width from 80 columns: one line a run; the least important columns go first.
LIST_VIEW = ["name", "when", "model", "target_short", "start", "steps", "status", "verdicts", "p_mean", "folder"]
LIST_DROP = ["scale", "guidance", "when", "folder", "start", "model", "steps", "target_short", "p_mean", "status"]
COMPARE_VIEW = ["name", "model", "start", "loss", "steps", "p_mean", "reached", "verdicts", "fd", "recall",
                "coverage", "c2st", "l2_mean", "wall_s"]
COMPARE_DROP = ["wall_s", "l2_mean", "coverage", "c2st", "loss", "start", "fd", "reached", "steps", "scale", "model",
                "recall", "guidance", "p_mean"]


def with_diffusion_columns(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """`columns` plus guidance and scale (after the model) when some row is a diffusion run."""
    if not any(row.get("guidance") for row in rows):
        return list(columns)
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


def verdict_cell(row: dict[str, Any]) -> str:
    """A run's verdict counts in one short cell: '58 gen 4 art 2 flip'; '-' for an unjudged run."""
    counts = [(row.get(name), short) for name, short in VERDICT_SHORT.items()]
    if all(n is None for n, _ in counts):
        return "-"
    return " ".join(f"{n} {short}" for n, short in counts if n) or "0"


AGE_UNITS = ((60, 1, "s"), (3600, 60, "m"), (86400, 3600, "h"), (30 * 86400, 86400, "d"))  # (below, unit, name)


def age(date: str | None, now: float | None = None) -> str:
    """'12s ago', '5m ago', '3h ago', '2d ago' for a 'YYYY-MM-DD HH:MM[:SS]' local time; older: the date."""
    if not date:
        return "-"
    try:
        stamp = time.mktime(time.strptime(date[:16], "%Y-%m-%d %H:%M"))
    except ValueError:
        return str(date)
    seconds = max(0.0, (time.time() if now is None else now) - stamp)
    for below, unit, name in AGE_UNITS:
        if seconds < below:
            return f"{int(seconds // unit)}{name} ago"
    return date[:10]


def cell_text(row: dict[str, Any], column: str) -> str:
    """What the terminal shows in a column: a stored value formatted, or a derived cell."""
    if column == "verdicts":
        return verdict_cell(row)
    if column == "when":
        return age(row.get("date"))
    if column == "target_short":  # 'fashion-mnist sneaker' -> 'sneaker' (MNIST's targets are digits)
        return str(row["target"]).split(" ", 1)[-1] if row.get("target") else "-"
    return format_cell(column, row.get(column))


def header(column: str, short: bool = False) -> str:
    """A column's heading; `short` for the narrow views. A sweep axis shows under its own name."""
    return (short and SHORT_HEADERS.get(column)) or DERIVED.get(column) or COLUMNS.get(column, column)


def is_numeric(column: str) -> bool:
    return column not in TEXT_COLUMNS and column not in DERIVED


def verdict_legend(rows: list[dict[str, Any]]) -> str:
    """'gen = generated, art = artificial': the short names that appear in `rows`."""
    used = [name for name in VERDICT_SHORT if any(row.get(name) for row in rows) and VERDICT_SHORT[name] != name]
    return ", ".join(f"{VERDICT_SHORT[name]} = {name}" for name in used)


def rows_table(rows: list[dict[str, Any]], columns: list[str], title: str = ""):
    """A rich Table of `rows` with every given column, each cell whole (``--wide``)."""
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    for column in columns:
        table.add_column(header(column), justify="right" if is_numeric(column) else "left")
    for row in rows:
        table.add_row(*(cell_text(row, column) for column in columns))
    return table


def fitted_rows_table(rows: list[dict[str, Any]], columns: list[str], width: int, drop_order: list[str],
                      title: str = "", flexible: str | None = None):
    """`rows` in a table `width` columns wide at most: see guidance/runs/fitting.py."""
    from guidance.runs.fitting import fit_table

    return fit_table(rows, columns, width, headers={c: header(c, short=True) for c in columns}, cell=cell_text,
                     right=is_numeric, drop_order=drop_order, flexible=flexible, title=title)


def write_rows(folder: Path, stem: str, rows: list[dict[str, Any]], first: tuple[str, ...] = ()) -> None:
    """The rows as <stem>.csv and <stem>.json (full precision); `first` columns lead the CSV (a sweep's axes)."""
    columns = list(dict.fromkeys([*first, *COLUMNS]))
    with open(folder / f"{stem}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({key: row.get(key) for key in columns} for row in rows)
    (folder / f"{stem}.json").write_text(json.dumps(rows, indent=2) + "\n")
