"""What every `guide` command shares: the common options, and bad input as one ``error:`` line.

An option that sets a config key takes its help from the key's "why" comment in the config
dataclass (``field_option``), so each option is described once.

The kit's own errors become one line on stderr and exit code 1; Ctrl-C exits 130;
--verbose shows the traceback instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from guidance.core.errors import GuideError

EXIT_INTERRUPTED = 130


def field_option(config_class: type, key: str, *flags: str) -> Any:
    """A typer option for config key `key`, its help the key's comment in `config_class`."""
    from guidance.configs import describe

    return typer.Option(*flags, help=describe(config_class)[key])


Verbose = Annotated[bool, typer.Option("--verbose", help="Show tracebacks instead of one-line errors.")]
TrustPickle = Annotated[bool, typer.Option("--trust-pickle", help="Allow unpickling a fastai learner .pkl (runs code from the file).")]
DataDir = Annotated[Optional[Path], typer.Option("--data", help="Data root in torchvision's layout (MNIST/raw, FashionMNIST/raw); else $GUIDE_DATA, the cache, a download, or (MNIST) the embedded sample.")]
DatasetOption = Annotated[Optional[str], typer.Option("--dataset", help="mnist or fashion-mnist (default: the config's, else mnist).")]
TargetOption = Annotated[Optional[str], typer.Option("--target", help="The class: an index (8) or a name (sneaker, 'ankle boot'); default: the config's, else 8.")]


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def fail(message: str, code: int = 1) -> None:
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # '[ray]' stays text
    raise typer.Exit(code)


def say_note(shell, text: str) -> None:
    """A note for the user, on one line however long its paths ('[x]' in a name stays text)."""
    from rich.markup import escape

    shell.print(f"[yellow]note:[/] {escape(text)}", soft_wrap=True)


def print_fitted(shell, rows: list[dict], columns: list[str], drop_order: list[str], title: str,
                 more: str, flexible: str | None = None) -> None:
    """`rows` fitted to the terminal's width, then what was left out and the legend of the verdict cell."""
    from guidance.runs.tables import fitted_rows_table, header, verdict_legend

    fitted = fitted_rows_table(rows, columns, shell.width, drop_order, title, flexible=flexible)
    shell.print(fitted.table)
    notes, legend = [], verdict_legend(rows)
    if "verdicts" in fitted.shown and legend:
        notes.append(f"verdicts: {legend}")
    if fitted.left_out:
        notes.append(f"not shown at {shell.width} columns: {', '.join(header(c, short=True) for c in fitted.left_out)} ({more})")
    for note in notes:
        shell.print(note, style="dim")


class UserErrors:
    """Context manager: GuideError -> one line + exit 1; Ctrl-C -> exit 130."""

    def __init__(self, verbose: bool):
        self.verbose = verbose

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or self.verbose or issubclass(kind, (typer.Exit, SystemExit)):
            return False
        if issubclass(kind, GuideError):
            fail(str(error))
        if issubclass(kind, KeyboardInterrupt):
            fail("interrupted", EXIT_INTERRUPTED)
        return False


SortOption = Annotated[Optional[str], typer.Option("--sort", help="Sort rows by a column (p_mean, generated, flip, l2_mean, ...; numbers largest first), or COLUMN:asc / COLUMN:desc.")]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="Experiment TOML; options given here override it.")]
OutFolder = Annotated[Optional[Path], typer.Option(help="Run folder (must not exist or be empty); default results/runs/<time>-<experiment>.")]


TensorBoardFlag = Annotated[bool, typer.Option("--tensorboard", help="Also log to TensorBoard, under results/runs/tensorboard (or --tensorboard-dir); one TensorBoard run per run folder.")]
TensorBoardDir = Annotated[Optional[Path], typer.Option("--tensorboard-dir", help="Log to TensorBoard under this folder (implies --tensorboard); then: tensorboard --logdir DIR.")]


def tensorboard_folder(flag: bool, folder: Path | None) -> str | None:
    """What --tensorboard and --tensorboard-dir ask for: a folder, or None (the config's own setting stands)."""
    from guidance.core.paths import tensorboard_dir

    if folder is not None:
        return str(folder)
    return str(tensorboard_dir()) if flag else None


ResumeFolder = Annotated[Optional[Path], typer.Option("--resume", help="Continue a killed or interrupted run from its last checkpoint, in its own folder; the final images are those of a run never stopped.")]


def run_or_resume(kind: str, changes: dict, config_file, out, resume, data, trust_pickle: bool, shell):
    """`guide run` and `guide diffuse`: a new run of the config the options make, or --resume of a folder."""
    from guidance import api
    from guidance.configs import EXPERIMENT_KINDS, load_experiment

    if resume is not None:
        refuse_options_with_resume(changes, config_file, out)
        return api.resume_run(resume, data_dir=data, trust_pickle=trust_pickle, console=shell, kind=kind)
    base = load_experiment(config_file, kind=kind) if config_file else EXPERIMENT_KINDS[kind]()
    run = api.run_experiment if kind == "run" else api.diffuse
    return run(base.override(**changes), out=out, data_dir=data, trust_pickle=trust_pickle, console=shell)


def refuse_options_with_resume(changes: dict, config_file, out) -> None:
    """--resume continues a run as it was configured: options that would change it are refused."""
    given = [f"--{key.replace('_', '-')}" for key, value in changes.items() if value is not None]
    given += ["--config"] * (config_file is not None) + ["--out"] * (out is not None)
    if given:
        fail(f"--resume continues the run as its config.toml says; drop {', '.join(given)}")


def check_count(name: str, value: int | None) -> None:
    if value is not None and value <= 0:
        fail(f"{name} must be > 0, got {value}")


def exit_if_stopped(summary: dict, folder, step: str = "step") -> None:
    """An interrupted run exits 130, a run whose loss became NaN exits 1; both say what they kept."""
    if summary["status"] == "interrupted":
        fail(f"interrupted at {step} {summary['steps_done']}; kept what it made in {folder}", EXIT_INTERRUPTED)
    if summary["status"] == "nan":
        fail(f"{summary['message']}; the run stopped and kept what it made in {folder}")
