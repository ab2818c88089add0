"""`guide show` and `guide list`: run folders read back, in the terminal (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from guidance.cli.options import SortOption, UserErrors, Verbose, check_count, console, fail, print_fitted, say_note


def show(
    run_folder: Annotated[Path, typer.Argument(help="A run folder (finished, interrupted or failed).")],
    frames: Annotated[Optional[str], typer.Option(help="Snapshots to draw: 'all' or steps like 0,100,500 (default: as many as fit the width, evenly spaced, the first and the last among them).")] = None,
    images: Annotated[int, typer.Option(help="How many images of the batch to draw.")] = 2,
    png: Annotated[bool, typer.Option("--png", help="Write contact.png and curves.png if missing.")] = False,
    verbose: Verbose = False,
) -> None:
    """A run's config, log, verdicts and image sequence, drawn in the terminal."""
    with UserErrors(verbose):
        from guidance.runs.browse import STATES, read_run
        from guidance.runs.render import config_table, frames_per_row, frames_view, log_table, pick_frames, run_table

        check_count("images", images)
        record = read_run(run_folder)
        arrays = record.images()
        steps = [int(s) for s in arrays["steps"]] if arrays is not None else []
        shell = console()
        per_row = frames_per_row(shell.width)
        chosen = pick_frames(steps, frames, per_row) if arrays is not None else []  # a bad --frames fails before printing
        shell.print(f"[bold]{record.name}[/]  {record.folder}  [dim]{STATES.get(record.state, record.state)}[/]")
        shell.print(config_table(record.config))
        if record.log:
            shell.print(log_table(record.log))
        if record.summary:
            shell.print(run_table(record.summary))
        if arrays is None:
            shell.print("[yellow]no images.npz: this run saved no images[/]")
        else:
            shown = list(range(min(images, arrays["frames"].shape[1])))
            labels = [f"#{i} {image['start']}" for i, image in enumerate((record.summary or {}).get("images", []))]
            frames_shown = arrays.get("predicted", arrays["frames"])  # a diffusion run: its predicted clean images
            shell.print(frames_view(frames_shown, steps, chosen, shown, labels or [f"#{i}" for i in shown], per_row))
        if png:
            from guidance.runs.browse import write_missing_pictures

            for note in write_missing_pictures(record):
                shell.print(note)


def list_runs(
    root: Annotated[Optional[Path], typer.Option(help="Results folder to scan (default: $GUIDE_RUNS or results/runs).")] = None,
    experiment: Annotated[Optional[str], typer.Option(help="Only runs of this experiment.")] = None,
    sort: SortOption = "date",
    wide: Annotated[bool, typer.Option("--wide", help="Every column, each cell whole, however wide (pipe to 'less -S').")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Every value of every row as JSON, for scripts.")] = False,
    verbose: Verbose = False,
) -> None:
    """Every run under the results folder, a line each: name, when, model, start, steps, status, verdicts, mean p."""
    with UserErrors(verbose):
        from guidance.core.paths import runs_dir
        from guidance.runs.browse import list_runs as find_run_rows
        from guidance.runs.tables import LIST_COLUMNS, LIST_DROP, LIST_VIEW, rows_table, with_diffusion_columns

        root = root or runs_dir()
        rows, notes = find_run_rows(root, experiment, sort)
        shell = console(stderr=as_json)  # --json keeps stdout for the JSON alone
        for note in notes:
            say_note(shell, note)
        if as_json:  # for scripts: a list, empty when there are no runs; NaN (a failed run) as null
            import json
            import math

            finite = [{k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()} for row in rows]
            typer.echo(json.dumps(finite, indent=1, allow_nan=False))
            return
        if not rows:
            which = f" of experiment '{experiment}'" if experiment else ""
            fail(f"no runs{which} under {root}")
        title = f"{len(rows)} runs under {root}"
        if wide:
            wide_table = rows_table(rows, with_diffusion_columns(LIST_COLUMNS, rows), title=title)
            from guidance.runs.fitting import natural_width

            shell.width = max(shell.width, natural_width(wide_table))  # the terminal wraps lines, rich cuts no cell
            shell.print(wide_table)
            return
        columns = with_diffusion_columns(LIST_VIEW, rows)
        targets = {row["target"] for row in rows}
        if len(targets) == 1:  # one target for all: said once in the title
            columns = [column for column in columns if column != "target_short"]
            title += f", all toward {targets.pop()}"
        print_fitted(shell, rows, columns, LIST_DROP, title, flexible="folder",
                     more="--wide shows every column, --json every value")
