"""Sweeps: a base experiment config and axes, expanded to a grid of ordinary runs.

A sweep file (TOML):

    base = "generate-noise.toml"      # an experiment config, relative to this file; or a [base] table
    samples = 0                       # 0: the whole grid; N: N points drawn at random (seeded)
    [set]                             # optional: values every point takes over the base's
    batch = 16
    [axes]
    loss = ["l1", "ce"]
    lr = [0.01, 0.05, 0.1]

Each point is a run folder under ``<sweep>/points/``, so ``guide show``, ``list``, ``judge``
and ``compare`` work on it. Points run in worker processes on this machine, or as Ray
tasks (one run per task) with ``ray=True``; each worker loads its data, models and judge
once. A sweep started again skips the points that finished; Ctrl-C keeps every finished
point; a point that fails records its one-line error and the others go on.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
import tomllib

from guidance.config import RunConfig, read_toml
from guidance.diffusion_config import DiffuseConfig, config_kind, load_experiment
from guidance.errors import ConfigError, GuideError, RunFolderError
from guidance.registry import did_you_mean

MAX_POINTS = 10_000  # a bigger grid needs yes=True (--yes)
SWEEP_KEYS = ("base", "set", "axes", "samples", "sample_seed", "name")
FINISHED = ("finished", "early_stop")


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep file: the base config, the axes and how many points to draw."""

    name: str
    base: RunConfig | DiffuseConfig
    axes: dict[str, list[Any]]
    samples: int = 0  # 0 = every point of the grid
    sample_seed: int = 0

    def grid_size(self) -> int:
        size = 1
        for values in self.axes.values():
            size *= len(values)
        return size

    def spec(self) -> dict[str, Any]:
        """What identifies this sweep: a folder written by another spec is refused."""
        return {"name": self.name, "base": self.base.to_dict(), "axes": self.axes,
                "samples": self.samples, "sample_seed": self.sample_seed}


@dataclass(frozen=True)
class Point:
    index: int
    values: dict[str, Any]  # axis -> value
    config: RunConfig | DiffuseConfig

    @property
    def name(self) -> str:
        from guidance.runs.folders import slug

        return slug(f"{self.index:04d}-" + "-".join(f"{k}={v}" for k, v in self.values.items()))


@dataclass
class SweepOutcome:
    folder: Path
    rows: list[dict[str, Any]]
    status: str  # finished | interrupted
    notes: list[str] = field(default_factory=list)
    best: dict[str, Any] | None = None
    sort: str = "generated"


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file strictly: unknown keys, empty axes and bad values are named."""
    path = Path(path)
    values = read_toml(path, "sweep file")
    for key in values:
        if key not in SWEEP_KEYS:
            raise ConfigError(f"{path}: unknown key '{key}'{did_you_mean(key, list(SWEEP_KEYS))}; "
                              f"a sweep has {', '.join(SWEEP_KEYS)}")
    base_value = values.get("base", {})
    if isinstance(base_value, str):
        base_path = (path.parent / base_value) if not Path(base_value).is_absolute() else Path(base_value)
        if not base_path.is_file() and Path(base_value).is_file():
            base_path = Path(base_value)  # relative to where the command runs
        base = load_experiment(base_path)
    elif isinstance(base_value, dict):
        base = config_kind(base_value).from_dict(base_value, source=f"{path} [base]")
    else:
        raise ConfigError(f"{path}: base must be a config path or a table, got {base_value!r}")
    overrides = values.get("set", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: [set] must be a table of config keys")
    base = type(base).from_dict(base.to_dict() | overrides, source=f"{path} [set]")
    axes = values.get("axes")
    if not isinstance(axes, dict) or not axes:
        raise ConfigError(f"{path}: no [axes]: name at least one config key and its values")
    known = list(type(base).__dataclass_fields__)
    for key, axis in axes.items():
        if key not in known or key == "experiment":
            raise ConfigError(f"{path}: axis '{key}' is not a config key{did_you_mean(key, known)}")
        if not isinstance(axis, list) or not axis:
            raise ConfigError(f"{path}: axis '{key}' is empty: give it a list of at least one value")
    samples = values.get("samples", 0)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 0:
        raise ConfigError(f"{path}: samples must be a whole number >= 0, got {samples!r}")
    name = values.get("name", path.stem)
    return Sweep(name, base.override(experiment=name), {k: list(v) for k, v in axes.items()}, samples,
                 int(values.get("sample_seed", 0)))


def expand(sweep: Sweep, yes: bool = False) -> list[Point]:
    """Every point of the grid (or `samples` of them, drawn by seed), each config checked."""
    size = sweep.grid_size()
    if size > MAX_POINTS and not yes:
        raise ConfigError(f"the grid has {size:,} points (over {MAX_POINTS:,}); pass --yes to run it anyway, "
                          "or draw some with samples = N")
    indices = range(size)
    if sweep.samples and sweep.samples < size:
        import random

        indices = sorted(random.Random(sweep.sample_seed).sample(range(size), sweep.samples))
    names = list(sweep.axes)
    grid = list(itertools.product(*sweep.axes.values())) if size <= MAX_POINTS or not sweep.samples else None
    points = []
    for index in indices:
        combo = grid[index] if grid is not None else _nth_combination(list(sweep.axes.values()), index)
        values = dict(zip(names, combo))
        try:
            config = sweep.base.override(**values)
        except ConfigError as error:
            raise ConfigError(f"point {index} ({values}): {error}") from None
        points.append(Point(index, values, config))
    return points


def _nth_combination(axes: list[list[Any]], index: int) -> tuple:
    combo = []
    for axis in reversed(axes):
        index, position = divmod(index, len(axis))
        combo.append(axis[position])
    return tuple(reversed(combo))


def prepare_folder(sweep: Sweep, out: str | Path | None) -> tuple[Path, bool]:
    """The sweep folder (new, or this very sweep's to resume); (folder, resumed)."""
    from guidance.paths import runs_dir
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


# ---- what each worker runs ---------------------------------------------------------

_WORKER: dict[Any, Any] = {}  # per worker process: data loader, models and judges, loaded once


def run_point(config: dict[str, Any], folder: str, data_dir: str | None, threads: int) -> dict[str, Any]:
    """Run one point into `folder`; never raises for a user error: returns its status and message."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # torch/fastai chatter, once per worker
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import torch

    from guidance.api import _data_loader, diffuse, load_guided_model, load_run_judge, run_experiment

    torch.set_num_threads(threads)
    started = time.perf_counter()
    try:
        run_config = config_kind(config).from_dict(config, source=folder)
        dataset = run_config.dataset
        data = _WORKER.setdefault(("data", data_dir, dataset), _data_loader(data_dir, None, dataset))
        judge_key = ("judge", dataset, run_config.target)
        if (run_config.judge or isinstance(run_config, DiffuseConfig)) and judge_key not in _WORKER:
            _WORKER[judge_key] = load_run_judge(run_config.target, data=data, dataset=dataset)
        judge = _WORKER.get(judge_key)
        if isinstance(run_config, DiffuseConfig):
            outcome = diffuse(run_config, out=folder, data=data, judge=judge)
        else:
            model_key = ("model", dataset, run_config.model, run_config.target)
            if model_key not in _WORKER:
                _WORKER[model_key] = load_guided_model(run_config.model, run_config.target, data=data, dataset=dataset)
            outcome = run_experiment(run_config, out=folder, model=_WORKER[model_key], data=data,
                                     judge=judge if run_config.judge else None)
        status, message = outcome.summary["status"], outcome.summary.get("message", "")
    except GuideError as error:
        status, message = "failed", str(error)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "error.txt").write_text(message + "\n")
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"folder": folder, "status": status, "message": message, "seconds": time.perf_counter() - started,
            "worker": os.getpid(), "peak_rss_mb": round(peak_mb)}


def _worker_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def _run_local(tasks: list[tuple], workers: int, on_done) -> None:
    if workers == 1:
        for task in tasks:
            on_done(run_point(*task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # 'spawn': fresh interpreters, no torch state forked from the parent
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_point, *task) for task in tasks]
        try:
            for future in as_completed(futures):
                on_done(future.result())
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'guidance-kit[ray]'") from None


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail in seconds on an address nothing answers at (Ray itself retries for minutes)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"cannot reach a Ray cluster at {address}: give it as HOST:PORT (or ray://HOST:PORT)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConfigError(f"cannot reach a Ray cluster at {address} ({error.strerror or error})") from None


def _run_ray(tasks: list[tuple], workers: int, address: str | None, on_done) -> None:
    import ray

    try:
        if address:
            ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
        else:  # a local instance on the loopback interface only
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     _node_ip_address="127.0.0.1")
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"cannot reach a Ray cluster at {address or 'a new local instance'} ({first})") from None
    remote = ray.remote(num_cpus=1)(run_point)
    pending = [remote.remote(*task) for task in tasks]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_done(ray.get(done[0]))
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        ray.shutdown()


# ---- the sweep ----------------------------------------------------------------------


def run_sweep(
    sweep: Sweep, out: str | Path | None = None, workers: int = 1, ray: bool = False, address: str | None = None,
    data_dir: str | Path | None = None, yes: bool = False, sort: str | None = None, console=None,
) -> SweepOutcome:
    """Run every point not finished yet, then tabulate all of them (see the module docstring)."""
    from guidance.runs.tables import sort_rows

    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    sort = sort or "generated"
    sort_rows([], sort)  # an unknown column fails before anything runs
    if ray:
        _require_ray()
        if address:
            _check_reachable(address)
    points = expand(sweep, yes)
    folder, resumed = prepare_folder(sweep, out)
    notes = []
    pending = [p for p in points if not point_finished(folder / "points" / p.name)]
    if resumed:
        notes.append(f"resumed: {len(points) - len(pending)} of {len(points)} points had finished and were skipped")
    for point in pending:  # what an interrupted or failed point left is not a result: run it again
        shutil.rmtree(folder / "points" / point.name, ignore_errors=True)
    threads = _worker_threads(workers)
    data = str(data_dir) if data_dir is not None else None
    tasks = [(p.config.to_dict(), str(folder / "points" / p.name), data, threads) for p in pending]
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
            _run_ray(tasks, workers, address, on_done)
        else:
            _run_local(tasks, workers, on_done)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        if progress is not None:
            progress[0].stop()
    rows = sort_rows(collect_rows(folder, points), sort)
    write_sweep(folder, rows, status, tuple(sweep.axes) + ("error",), worker_peaks)
    best = next((row for row in rows if row["status"] in FINISHED), None)
    return SweepOutcome(folder, rows, status, notes, best, sort)


def _progress(console, total: int, done: int):
    """A started rich progress bar over the sweep's points, and its task; None without a console."""
    if console is None:
        return None
    from guidance.progress import progress_bar

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
    (folder / "status.json").write_text(json.dumps({
        "status": status, "points": len(rows), "finished": sum(r["status"] in FINISHED for r in rows),
        "worker_peak_rss_mb": sorted(worker_peaks.values(), reverse=True),
    }) + "\n")
