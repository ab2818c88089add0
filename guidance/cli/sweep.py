"""`guide sweep`: a grid of experiments on local workers or Ray; one table, a heatmap, the best point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from guidance.cli.options import (
    EXIT_INTERRUPTED,
    DataDir,
    SortOption,
    TensorBoardDir,
    TensorBoardFlag,
    UserErrors,
    Verbose,
    console,
    fail,
    print_fitted,
    say_note,
    tensorboard_folder,
)
from guidance.core.registry import did_you_mean


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML: base = an experiment config (or a [base] table) and [axes].")],
    out: Annotated[Optional[Path], typer.Option(help="Sweep folder; default results/runs/sweeps/<name>. The same folder again resumes.")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes (default: one per CPU core); torch threads are divided between them.")] = None,
    ray: Annotated[bool, typer.Option("--ray", help="Run the points as Ray tasks on a new local Ray instance (pip install 'guidance-kit\\[ray]').")] = False,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Run on an existing Ray cluster at this address (implies --ray).")] = None,
    sort: SortOption = None,
    plot: Annotated[Optional[str], typer.Option(help="Draw this column as a heatmap over --x and --y (e.g. generated, p_mean).")] = None,
    x: Annotated[Optional[str], typer.Option(help="Sweep axis for the heatmap's columns.")] = None,
    y: Annotated[Optional[str], typer.Option(help="Sweep axis for the heatmap's rows.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run a grid of more than 10,000 points.")] = False,
    tensorboard: TensorBoardFlag = False,
    tensorboard_dir: TensorBoardDir = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Run a grid of experiments (loss x lr x model x seed ...) in parallel; one table, a heatmap, the best point."""
    with UserErrors(verbose):
        import os

        from guidance.sweep import load_sweep, run_sweep

        sweep = load_sweep(sweep_file)
        _check_plot(sweep, plot, x, y)
        shell = console()
        workers = workers if workers is not None else max(1, min(os.cpu_count() or 1, sweep.grid_size()))
        outcome = run_sweep(sweep, out=out, workers=workers, ray=ray or ray_address is not None, address=ray_address,
                            data_dir=data, yes=yes, sort=sort, console=shell,
                            tensorboard=tensorboard_folder(tensorboard, tensorboard_dir))
        _report_sweep(shell, sweep, outcome, plot, x, y)


def _check_plot(sweep, plot: str | None, x: str | None, y: str | None) -> None:
    """A bad --plot, --x or --y fails before any point runs."""
    if plot is None and x is None and y is None:
        return
    from guidance.runs.tables import COLUMNS

    if plot is None or x is None or y is None:
        fail("--plot needs --x and --y (two sweep axes), and they need --plot")
    if plot not in COLUMNS:
        fail(f"cannot plot '{plot}'{did_you_mean(plot, list(COLUMNS))}; columns: {', '.join(COLUMNS)}")
    for axis in (x, y):
        if axis not in sweep.axes:
            fail(f"'{axis}' is not an axis of this sweep{did_you_mean(axis, list(sweep.axes))}; axes: {', '.join(sweep.axes)}")


def _report_sweep(shell, sweep, outcome: Any, plot: str | None, x: str | None, y: str | None) -> None:
    for note in outcome.notes:
        say_note(shell, note)
    shown = ["p_mean", "verdicts", "reached", "reached_median_step", "recall", "fd", "c2st", "coverage", "l2_mean",
             "wall_s"]  # most important first
    columns = ["name", *sweep.axes, "status", *shown]
    print_fitted(shell, outcome.rows, columns, [*reversed(shown), "status"],
                 f"sweep {sweep.name}: {len(outcome.rows)} points, sorted by {outcome.sort}",
                 more="sweep.csv and sweep.json hold every column")
    failed = [row for row in outcome.rows if row["status"] == "failed"]
    for row in failed:
        shell.print(f"[red]failed:[/] {row['name']}: {row['error']}")
    if plot:
        from guidance.runs.figures import sweep_heatmap

        sweep_heatmap(outcome.folder / f"heatmap-{plot}.png", outcome.rows, plot, x, y)
        shell.print(f"heatmap of {plot} over {x} x {y}: {outcome.folder / f'heatmap-{plot}.png'}")
    if outcome.best is not None:
        axes = ", ".join(f"{k} = {outcome.best[k]}" for k in sweep.axes)
        shell.print(f"[bold]best by {outcome.sort}:[/] {outcome.best['name']} ({axes})")
    shell.print(f"saved sweep.csv and sweep.json in {outcome.folder}")
    if outcome.status == "interrupted":
        done = sum(row["status"] in ("finished", "early_stop") for row in outcome.rows)
        fail(f"interrupted: {done} of {len(outcome.rows)} points finished and were kept; "
              "run the same command again to resume", EXIT_INTERRUPTED)
