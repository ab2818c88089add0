"""Running a sweep: every point not finished yet, then one table of all of them.

Each point is a run folder under ``<sweep>/points/``, so ``guide show``, ``list``, ``judge``
and ``compare`` work on it. Points run in worker processes on this machine, or as Ray
tasks (one run per task) with ``ray=True``; each worker loads its data, models and judge
once. A sweep started again skips the points that finished; Ctrl-C keeps every finished
point; a point that fails records its one-line error and the others go on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
import tomllib

from guidance.core.errors import ConfigError, RunFolderError
from guidance.sweep.spec import Point, Sweep, expand
from guidance.sweep.workers import check_reachable, require_ray, run_local, run_ray, worker_threads

FINISHED = ("finished", "early_stop")


@dataclass
class SweepOutcome:
    folder: Path
    rows: list[dict[str, Any]]
    status: str  # finished | interrupted
    notes: list[str] = field(default_factory=list)
    best: dict[str, Any] | None = None
    sort: str = "generated"


def prepare_folder(sweep: Sweep, out: str | Path | None) -> tuple[Path, bool]:
    """The sweep folder (new, or this very sweep's to resume); (folder, resumed)."""
    from guidance.core.paths import runs_dir
    from guidance.runs.folders import slug

    folder = Path(out) if out is not None else runs_dir() / "sweeps" / slug(sweep.name)
    spec_path = folder / "sweep.toml"
    if spec_path.is_file():
        try:
            written = tomllib.loads(spec_path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            written = None
        if written != json.loads(json.dumps(sweep.spec())):
            raise RunFolderError(f"{folder} was written by another sweep ('{(written or {}).get('name', '?')}', or "
                                 "other axes or base); give this one another --out")
        return folder, True
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise RunFolderError(f"{folder} exists and is not a sweep folder; give the sweep another --out")
    (folder / "points").mkdir(parents=True, exist_ok=True)
    spec_path.write_text(tomli_w.dumps(sweep.spec()))
    return folder, False


def point_finished(folder: Path) -> bool:
    try:
        return json.loads((folder / "summary.json").read_text()).get("status") in FINISHED
    except (OSError, json.JSONDecodeError):
        return False


# ---- the sweep ----------------------------------------------------------------------


def run_sweep(
    sweep: Sweep, out: str | Path | None = None, workers: int = 1, ray: bool = False, address: str | None = None,
    data_dir: str | Path | None = None, yes: bool = False, sort: str | None = None, console=None,
    tensorboard: str | Path | None = None,
) -> SweepOutcome:
    """Run every point not finished yet, then tabulate all of them (see the module docstring)."""
    from guidance.runs.tables import sort_rows

    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    sort = sort or "generated"
    sort_rows([], sort)  # an unknown column fails before anything runs
    if ray:
        require_ray()
        if address:
            check_reachable(address)
    if tensorboard is not None:
        from guidance.core.paths import check_tensorboard_dir

        check_tensorboard_dir(tensorboard)
    points = expand(sweep, yes)
    check_points(points)
    folder, resumed = prepare_folder(sweep, out)
    notes = []
    pending = [p for p in points if not point_finished(folder / "points" / p.name)]
    if resumed:
        notes.append(f"resumed: {len(points) - len(pending)} of {len(points)} points had finished and were skipped")
    threads = worker_threads(workers)
    data = str(data_dir) if data_dir is not None else None
    board = None if tensorboard is None else Path(tensorboard) / folder.name
    tasks = [(_logged(p.config, board).to_dict(), str(folder / "points" / p.name), data, threads) for p in pending]
    progress = _progress(console, len(points), len(points) - len(pending))

    worker_peaks: dict[int, int] = {}

    def on_done(report: dict[str, Any]) -> None:
        worker_peaks[report["worker"]] = max(worker_peaks.get(report["worker"], 0), report["peak_rss_mb"])
        if progress is not None:
            bar, task = progress
            bar.advance(task)
            if report["status"] == "failed":
                console.print(f"[red]failed:[/] {Path(report['folder']).name}: {report['message']}")

    status = "finished"
    try:
        if ray:
            run_ray(tasks, workers, address, on_done)
        else:
            run_local(tasks, workers, on_done)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        if progress is not None:
            progress[0].stop()
    rows = sort_rows(collect_rows(folder, points), sort)
    write_sweep(folder, rows, status, tuple(sweep.axes) + ("error",), worker_peaks)
    if board is not None:
        from guidance.runs.tensorboard import log_sweep

        log_sweep(board, rows, list(sweep.axes))
    best = next((row for row in rows if row["status"] in FINISHED), None)
    return SweepOutcome(folder, rows, status, notes, best, sort)


def _logged(config, board: Path | None):
    """A point's config, told to log to TensorBoard beside the other points (its folder's name is its run's)."""
    return config if board is None else config.override(tensorboard=str(board))


def check_points(points: list[Point]) -> None:
    """Every point's loss, step rule, schedule and parameterisation checked against the registries before any
    point runs; a point whose model is missing runs, fails alone and is recorded."""
    from guidance.configs import RunConfig
    from guidance.optimize.names import check_registered

    for point in points:
        if isinstance(point.config, RunConfig):
            try:
                check_registered(point.config)
            except ConfigError as error:
                raise ConfigError(f"point {point.index} ({point.values}): {error}") from None


def _progress(console, total: int, done: int):
    """A started rich progress bar over the sweep's points, and its task; None without a console."""
    if console is None:
        return None
    from guidance.core.progress import progress_bar

    bar = progress_bar("[bold]sweep", "", console)
    task = bar.add_task("points", total=total, completed=done)
    bar.start()
    return bar, task


def collect_rows(folder: Path, points: list[Point]) -> list[dict[str, Any]]:
    """One row per point: its axes, how it ended and the compare columns of its run."""
    from guidance.runs.browse import read_run, record_row

    rows = []
    for point in points:
        point_folder = folder / "points" / point.name
        row: dict[str, Any] = {"name": point.name, **point.values}
        if point_finished(point_folder):
            row |= record_row(read_run(point_folder), folder) | {"name": point.name}
        elif (point_folder / "error.txt").is_file():
            row |= {"status": "failed", "error": (point_folder / "error.txt").read_text().strip()}
        else:
            row |= {"status": "pending"}
        rows.append(row)
    return rows


def write_sweep(
    folder: Path, rows: list[dict[str, Any]], status: str, first: tuple[str, ...], worker_peaks: dict[int, int],
) -> None:
    """sweep.csv / sweep.json, and status.json: how it ended and each worker's peak memory this time."""
    from guidance.runs.tables import scale_sweep_rows, write_rows

    write_rows(folder, "sweep", rows, first)
    swept = scale_sweep_rows(rows)
    if swept:  # a diffusion sweep over the guidance scale
        from guidance.runs.figures import scale_sweep

        scale_sweep(folder / "scales.png", swept)
    strengths = [row for row in rows if row.get("strength") is not None and row["status"] in FINISHED]
    if len({row["strength"] for row in strengths}) > 1:  # an image-to-image sweep over the strength
        from guidance.runs.figures import strength_sweep
        from guidance.runs.folders import load_images

        arrays = [load_images(folder / row["folder"]) for row in strengths]
        strength_sweep(folder / "strengths.png", strengths, [a["final"] for a in arrays], arrays[0]["start"])
    (folder / "status.json").write_text(json.dumps({
        "status": status, "points": len(rows), "finished": sum(r["status"] in FINISHED for r in rows),
        "worker_peak_rss_mb": sorted(worker_peaks.values(), reverse=True),
    }) + "\n")
