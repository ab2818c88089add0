"""The `guide` command line: thin typer commands over the library.

Each command parses options, builds a config (instant: no torch yet), then
imports the heavy parts and calls the library. The kit's own errors become one
``error:`` line on stderr and exit code 1; --verbose shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from guidance.cli_common import EXIT_INTERRUPTED, DataDir, DatasetOption, TargetOption, TrustPickle, Verbose
from guidance.cli_common import UserErrors as _UserErrors
from guidance.cli_common import console as _console
from guidance.cli_common import fail as _fail
from guidance.cli_diffuse import diffuse
from guidance.config import DEFAULT_MODEL, MODEL_PRESETS, RunConfig
from guidance.diffusion_config import DIFFUSION_PRESETS

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
    help="Push images along a classifier's gradient toward a digit; see the flip and the real 8.",
)


@app.callback()
def _quiet_library_warnings() -> None:
    """Deprecation chatter from torch/fastai internals is not the user's business."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

# ---- guide train -------------------------------------------------------------


@app.command()
def train(
    preset: Annotated[str, typer.Option(help=f"Training recipe to start from: {', '.join(MODEL_PRESETS)}; or {' / '.join(DIFFUSION_PRESETS)} for guide diffuse.")] = "standard",
    arch: Annotated[Optional[str], typer.Option(help="small_cnn, fastai_resnet34, or any timm model name (resnet18, ...).")] = None,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    epochs: Annotated[Optional[int], typer.Option(help="fit_one_cycle epochs.")] = None,
    lr: Annotated[Optional[float], typer.Option(help="Peak learning rate.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Training batch size.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    train_limit: Annotated[Optional[int], typer.Option(help="Train on at most this many images (0 = all).")] = None,
    robust: Annotated[bool, typer.Option("--robust", help="Adversarial training: the 'robust' preset (L2 PGD, eps 3.0, 5 steps, 5 epochs).")] = False,
    norm: Annotated[Optional[str], typer.Option(help="PGD norm for adversarial training: l2, linf, or none.")] = None,
    pgd_eps: Annotated[Optional[float], typer.Option(help="PGD radius in pixel units.")] = None,
    pgd_steps: Annotated[Optional[int], typer.Option(help="PGD steps per training batch.")] = None,
    pgd_step_size: Annotated[Optional[float], typer.Option(help="PGD step size (default 2.5 * eps / steps).")] = None,
    noise_std: Annotated[Optional[float], typer.Option(help="Gaussian noise augmentation, sigma ~ U(0, noise_std): the cheap robustness option.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Model folder to write; default: the per-user model cache.")] = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Train a "target vs rest" classifier with fastai; cached by its config."""
    with _UserErrors(verbose):
        if preset in DIFFUSION_PRESETS:
            _train_diffusion(preset, dataset, target, epochs, lr, batch_size, seed, train_limit, out, data)
            return
        if preset not in MODEL_PRESETS:
            from guidance.registry import did_you_mean

            names = [*MODEL_PRESETS, *DIFFUSION_PRESETS]
            _fail(f"unknown preset '{preset}'{did_you_mean(preset, names)}; choose from: {', '.join(names)}")
        if robust and preset == "standard":
            preset = "robust"
        config = MODEL_PRESETS[preset].override(
            arch=arch, dataset=dataset, target=target, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, train_limit=train_limit,
            robust=norm, robust_eps=pgd_eps, robust_steps=pgd_steps, robust_step_size=pgd_step_size, noise_std=noise_std,
        )
        if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
            _fail(f"--out {out} already exists and is not empty; models are never overwritten")
        from guidance.api import train_model

        console = _console()
        model, folder, reused = train_model(config, out=out, data_dir=data, console=console, name=preset)
        from guidance.runs.render import train_table

        if reused:
            console.print(f"already trained with this config: reusing {folder}")
        console.print(train_table(model.info, str(folder)))


def _train_diffusion(preset, dataset, target, epochs, lr, batch_size, seed, train_limit, out, data) -> None:
    """guide train --preset denoiser | noisy: the diffusion models (see guide diffuse)."""
    from guidance.diffusion_config import DenoiserConfig, NoisyClassifierConfig

    if preset == "denoiser" and target is not None:
        _fail("the denoiser learns every class; --target is for the noise-aware classifier (--preset noisy)")
    base = DenoiserConfig() if preset == "denoiser" else NoisyClassifierConfig()
    config = base.override(dataset=dataset, target=target, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, train_limit=train_limit)
    from guidance.api import train_diffusion
    from guidance.runs.render import diffusion_train_table

    console = _console()
    info, folder, reused = train_diffusion(config, out=out, data_dir=data, console=console)
    if reused:
        console.print(f"already trained with this config: reusing {folder}")
    console.print(diffusion_train_table(info, str(folder)))


# ---- guide run ---------------------------------------------------------------


@app.command()
def run(
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Experiment TOML; options given here override it.")] = None,
    experiment: Annotated[Optional[str], typer.Option(help="Name for the run folder and tables.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Preset (robust = the default, standard, blog), model folder, or fastai learner .pkl.")] = None,
    trust_pickle: TrustPickle = False,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    start: Annotated[Optional[str], typer.Option(help="noise (per-pixel Gaussian of no digit), noise:uniform, noise:gaussian, blank, digit:N, digit:N@I, class:NAME[@I] (sandal, 5) or file:PATH.")] = None,
    batch: Annotated[Optional[int], typer.Option(help="Images optimised at once.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for start noise and jitter.")] = None,
    loss: Annotated[Optional[str], typer.Option(help="l1, mse, ce, logit or margin.")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Optimisation steps.")] = None,
    step: Annotated[Optional[str], typer.Option(help="Step rule: sgd, sign, normalized or adam.")] = None,
    lr: Annotated[Optional[float], typer.Option(help="Step size.")] = None,
    schedule: Annotated[Optional[str], typer.Option(help="constant, linear or cosine.")] = None,
    space: Annotated[Optional[str], typer.Option(help="Where the step is taken: pixel or normalized.")] = None,
    param: Annotated[Optional[str], typer.Option(help="What is optimised: pixel, blur (a latent shown blurred) or lowres.")] = None,
    param_sigma: Annotated[Optional[float], typer.Option(help="Blur width in pixels for --param blur.")] = None,
    param_factor: Annotated[Optional[int], typer.Option(help="Upsampling factor for --param lowres (2, 4, 7, 14).")] = None,
    clamp: Annotated[Optional[bool], typer.Option("--clamp/--no-clamp", help="Keep pixels in [0, 1].")] = None,
    eps: Annotated[Optional[float], typer.Option(help="Stay within eps of the start (0 = no limit).")] = None,
    eps_norm: Annotated[Optional[str], typer.Option(help="linf or l2.")] = None,
    l2: Annotated[Optional[float], typer.Option(help="Weight of the L2 pixel shrink.")] = None,
    l1: Annotated[Optional[float], typer.Option(help="Weight of the L1 pixel shrink.")] = None,
    tv: Annotated[Optional[float], typer.Option(help="Weight of total variation.")] = None,
    proximity: Annotated[Optional[float], typer.Option(help="Weight of the squared distance to the start.")] = None,
    blur_every: Annotated[Optional[int], typer.Option(help="Blur every k steps (0 = never).")] = None,
    blur_sigma: Annotated[Optional[float], typer.Option(help="Blur width in pixels.")] = None,
    jitter: Annotated[Optional[int], typer.Option(help="Random shift of up to this many pixels each step.")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="p(target) that counts as reached.")] = None,
    early_stop: Annotated[Optional[bool], typer.Option("--early-stop/--no-early-stop", help="Stop once every image reaches the threshold.")] = None,
    keep: Annotated[Optional[str], typer.Option(help="What 'final' holds: last or best.")] = None,
    log_every: Annotated[Optional[int], typer.Option(help="Steps between log rows.")] = None,
    snapshot_every: Annotated[Optional[int], typer.Option(help="Steps between saved frames.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu or cuda.")] = None,
    judge: Annotated[Optional[bool], typer.Option("--judge/--no-judge", help="Give every image a verdict at the end (with the shipped judge).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Run folder (must not exist or be empty); default results/runs/<time>-<experiment>.")] = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Guide images toward the target class and save the run."""
    options = {k: v for k, v in locals().items() if k in RunConfig.__dataclass_fields__}
    with _UserErrors(verbose):
        base = RunConfig.from_toml(config_file) if config_file else RunConfig()
        config = base.override(**options)
        from guidance.api import run_experiment

        console = _console()
        outcome = run_experiment(config, out=out, data_dir=data, trust_pickle=trust_pickle, console=console)
        _report_run(console, outcome)


def _report_run(console, outcome: Any) -> None:
    from guidance.runs.render import image_row, run_table

    summary, folder = outcome.summary, outcome.folder
    console.print(run_table(summary))
    shown = max(1, min(4, len(summary["images"]), console.width // 60))  # start and final: 60 characters a pair
    images = outcome.result
    pictures, captions = [], []
    for i in range(shown):
        pictures += [images.start[i, 0].numpy(), images.final[i, 0].numpy()]
        captions += [f"#{i} start", f"#{i} final p={summary['images'][i]['p_target']:.3f}"]
    console.print(image_row(pictures, captions))
    console.print(f"saved to {folder}")
    if summary["config"]["model"] == DEFAULT_MODEL and summary["status"] != "nan":
        console.print("[dim]the adversarial flip instead: add --model standard (a plain CNN), or replay the "
                      "write-up with --config experiments/blog-flip.toml[/]")
    if summary["status"] == "interrupted":
        _fail(f"interrupted at step {summary['steps_done']}; kept what it made in {folder}", EXIT_INTERRUPTED)
    if summary["status"] == "nan":
        _fail(f"{summary['message']}; the run stopped and kept what it made in {folder}")


app.command("diffuse")(diffuse)


# ---- guide judge ---------------------------------------------------------------


@app.command("judge")
def judge_command(
    path: Annotated[str, typer.Argument(help="A run folder, a folder of 28x28 PNGs, an .npz of images, or 'train' to train the judge.")],
    model: Annotated[Optional[str], typer.Option(help="The guided model the images were made for (default: the run's own, else 'robust').")] = None,
    trust_pickle: TrustPickle = False,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    threshold: Annotated[Optional[float], typer.Option(help="p(target) that counts as sure (default: the run's, else 0.99).")] = None,
    judge_dir: Annotated[Optional[Path], typer.Option("--judge", help="Judge model folder (default: the cached judge).")] = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Give images a verdict: flip, generated, unrealistic or unchanged."""
    with _UserErrors(verbose):
        console = _console()
        if path == "train" and not Path(path).exists():
            from guidance.api import train_model
            from guidance.config import judge_config
            from guidance.datasets import DEFAULT_DATASET
            from guidance.runs.render import train_table

            judge_model, folder, reused = train_model(judge_config(dataset or DEFAULT_DATASET), data_dir=data,
                                                      console=console, name="judge")
            if reused:
                console.print(f"the judge is already trained: {folder}")
            console.print(train_table(judge_model.info, str(folder)))
            return
        from guidance.api import judge_path

        table = judge_path(
            Path(path), model=model, target=target, threshold=threshold, judge_folder=judge_dir,
            data_dir=data, trust_pickle=trust_pickle, console=console, dataset=dataset,
        )
        console.print(table)


# ---- guide compare / showcase ---------------------------------------------------


SortOption = Annotated[Optional[str], typer.Option("--sort", help="Sort rows by a column (p_mean, generated, flip, l2_mean, ...; numbers largest first), or COLUMN:asc / COLUMN:desc.")]


@app.command("compare")
def compare_command(
    sources: Annotated[Optional[list[Path]], typer.Argument(help="Experiment configs (.toml) and/or existing run folders.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Comparison folder (must not exist or be empty); default results/runs/<time>-compare.")] = None,
    batch: Annotated[Optional[int], typer.Option(help="Images per config (default: the first config's).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for every config (default: the first config's).")] = None,
    sort: SortOption = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Run every config on this data set; refuse run folders of another.")] = None,
    trust_pickle: TrustPickle = False,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Run configs on the same starts and seeds; one table, snapshots and curves side by side."""
    _compare(sources or [], out, batch, seed, sort, data, trust_pickle, verbose, dataset)


@app.command()
def showcase(
    out: Annotated[Path, typer.Option(help="Where the showcase goes (must not exist or be empty).")] = Path("results/showcase"),
    batch: Annotated[int, typer.Option(help="Images per experiment.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed for every experiment.")] = 0,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Regenerate results/showcase: the write-up's flip, noise + l1, both robust generations, the denoiser guided
    four ways; and in sneaker/, Fashion-MNIST's flip from a sandal and its two generations of a sneaker."""
    from guidance.runs.compare import SHOWCASE_SNEAKER, showcase_configs

    _compare(showcase_configs, out, batch, seed, None, data, False, verbose)
    _compare(lambda: showcase_configs(SHOWCASE_SNEAKER), out / "sneaker", batch, seed, None, data, False, verbose)


def _compare(sources, out, batch, seed, sort, data, trust_pickle, verbose, dataset=None) -> None:
    """compare and showcase: `sources` is a list of paths, or a function returning one (may fail)."""
    with _UserErrors(verbose):
        _check_count("batch", batch)
        from guidance.api import compare_runs

        console = _console()
        comparison = compare_runs(sources() if callable(sources) else sources, out=out, batch=batch, seed=seed,
                                  sort=sort, data_dir=data, trust_pickle=trust_pickle, console=console, dataset=dataset)
        _report_comparison(console, comparison)


def _check_count(name: str, value: int | None) -> None:
    if value is not None and value <= 0:
        _fail(f"{name} must be > 0, got {value}")


def _report_comparison(console, comparison: Any) -> None:
    from guidance.runs.tables import COMPARE_COLUMNS, rows_table, with_diffusion_columns

    columns = with_diffusion_columns(COMPARE_COLUMNS, comparison.rows)
    console.print(rows_table(comparison.rows, columns, title=f"comparison: {comparison.folder}"))
    for note in comparison.notes:
        console.print(f"[yellow]note:[/] {note}")
    scales = " and scales.png (the guidance-scale sweep)" if (comparison.folder / "scales.png").is_file() else ""
    console.print(f"saved compare.csv, compare.json, snapshots.png, curves.png{scales} in {comparison.folder}")


# ---- guide sweep -----------------------------------------------------------------


@app.command("sweep")
def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML: base = an experiment config (or a [base] table) and [axes].")],
    out: Annotated[Optional[Path], typer.Option(help="Sweep folder; default results/runs/sweeps/<name>. The same folder again resumes.")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes (default: one per CPU core); torch threads are divided between them.")] = None,
    ray: Annotated[bool, typer.Option("--ray", help="Run the points as Ray tasks on a new local Ray instance (pip install 'guidance-kit[ray]').")] = False,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Run on an existing Ray cluster at this address (implies --ray).")] = None,
    sort: SortOption = None,
    plot: Annotated[Optional[str], typer.Option(help="Draw this column as a heatmap over --x and --y (e.g. generated, p_mean).")] = None,
    x: Annotated[Optional[str], typer.Option(help="Sweep axis for the heatmap's columns.")] = None,
    y: Annotated[Optional[str], typer.Option(help="Sweep axis for the heatmap's rows.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run a grid of more than 10,000 points.")] = False,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Run a grid of experiments (loss x lr x model x seed ...) in parallel; one table, a heatmap, the best point."""
    with _UserErrors(verbose):
        import os

        from guidance.sweep import load_sweep, run_sweep

        sweep = load_sweep(sweep_file)
        _check_plot(sweep, plot, x, y)
        console = _console()
        workers = workers if workers is not None else max(1, min(os.cpu_count() or 1, sweep.grid_size()))
        outcome = run_sweep(sweep, out=out, workers=workers, ray=ray or ray_address is not None, address=ray_address,
                            data_dir=data, yes=yes, sort=sort, console=console)
        _report_sweep(console, sweep, outcome, plot, x, y)


def _check_plot(sweep, plot: str | None, x: str | None, y: str | None) -> None:
    """A bad --plot, --x or --y fails before any point runs."""
    if plot is None and x is None and y is None:
        return
    from guidance.registry import did_you_mean
    from guidance.runs.tables import COLUMNS

    if plot is None or x is None or y is None:
        _fail("--plot needs --x and --y (two sweep axes), and they need --plot")
    if plot not in COLUMNS:
        _fail(f"cannot plot '{plot}'{did_you_mean(plot, list(COLUMNS))}; columns: {', '.join(COLUMNS)}")
    for axis in (x, y):
        if axis not in sweep.axes:
            _fail(f"'{axis}' is not an axis of this sweep{did_you_mean(axis, list(sweep.axes))}; axes: {', '.join(sweep.axes)}")


def _report_sweep(console, sweep, outcome: Any, plot: str | None, x: str | None, y: str | None) -> None:
    from guidance.runs.tables import rows_table

    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    shown = ("p_mean", "reached", "reached_median_step", "flip", "generated", "unrealistic", "already", "fd", "recall",
             "coverage", "l2_mean", "wall_s")
    columns = ["name", *sweep.axes, "status", *shown]
    console.print(rows_table(outcome.rows, columns, title=f"sweep {sweep.name}: {len(outcome.rows)} points, sorted by {outcome.sort}"))
    failed = [row for row in outcome.rows if row["status"] == "failed"]
    for row in failed:
        console.print(f"[red]failed:[/] {row['name']}: {row['error']}")
    if plot:
        from guidance.runs.figures import sweep_heatmap

        sweep_heatmap(outcome.folder / f"heatmap-{plot}.png", outcome.rows, plot, x, y)
        console.print(f"heatmap of {plot} over {x} x {y}: {outcome.folder / f'heatmap-{plot}.png'}")
    if outcome.best is not None:
        axes = ", ".join(f"{k} = {outcome.best[k]}" for k in sweep.axes)
        console.print(f"[bold]best by {outcome.sort}:[/] {outcome.best['name']} ({axes})")
    console.print(f"saved sweep.csv and sweep.json in {outcome.folder}")
    if outcome.status == "interrupted":
        done = sum(row["status"] in ("finished", "early_stop") for row in outcome.rows)
        _fail(f"interrupted: {done} of {len(outcome.rows)} points finished and were kept; "
              "run the same command again to resume", EXIT_INTERRUPTED)


# ---- guide show / list -----------------------------------------------------------


@app.command()
def show(
    run_folder: Annotated[Path, typer.Argument(help="A run folder (finished, interrupted or failed).")],
    frames: Annotated[Optional[str], typer.Option(help="Snapshots to draw: 'all' or steps like 0,100,500 (default: up to 6).")] = None,
    images: Annotated[int, typer.Option(help="How many images of the batch to draw.")] = 2,
    png: Annotated[bool, typer.Option("--png", help="Write contact.png and curves.png if missing.")] = False,
    verbose: Verbose = False,
) -> None:
    """A run's config, log, verdicts and image sequence, drawn in the terminal."""
    with _UserErrors(verbose):
        from guidance.runs.browse import STATES, read_run
        from guidance.runs.render import config_table, frames_view, log_table, pick_frames, run_table

        _check_count("images", images)
        record = read_run(run_folder)
        arrays = record.images()
        steps = [int(s) for s in arrays["steps"]] if arrays is not None else []
        chosen = pick_frames(steps, frames) if arrays is not None else []  # a bad --frames fails before printing
        console = _console()
        console.print(f"[bold]{record.name}[/]  {record.folder}  [dim]{STATES.get(record.state, record.state)}[/]")
        console.print(config_table(record.config))
        if record.log:
            console.print(log_table(record.log))
        if record.summary:
            console.print(run_table(record.summary))
        if arrays is None:
            console.print("[yellow]no images.npz: this run saved no images[/]")
        else:
            shown = list(range(min(images, arrays["frames"].shape[1])))
            labels = [f"#{i} {image['start']}" for i, image in enumerate((record.summary or {}).get("images", []))]
            frames_shown = arrays.get("predicted", arrays["frames"])  # a diffusion run: its predicted clean images
            console.print(frames_view(frames_shown, steps, chosen, shown, labels or [f"#{i}" for i in shown]))
        if png:
            from guidance.runs.browse import write_missing_pictures

            for note in write_missing_pictures(record):
                console.print(note)


@app.command("list")
def list_command(
    root: Annotated[Optional[Path], typer.Option(help="Results folder to scan (default: $GUIDE_RUNS or results/runs).")] = None,
    experiment: Annotated[Optional[str], typer.Option(help="Only runs of this experiment.")] = None,
    sort: SortOption = "date",
    verbose: Verbose = False,
) -> None:
    """Every run under the results folder: experiment, date, model, steps, verdicts, mean p(target)."""
    with _UserErrors(verbose):
        from guidance.paths import runs_dir
        from guidance.runs.browse import list_runs
        from guidance.runs.tables import LIST_COLUMNS, rows_table, with_diffusion_columns

        root = root or runs_dir()
        rows, notes = list_runs(root, experiment, sort)
        console = _console()
        for note in notes:
            console.print(f"[yellow]note:[/] {note}")
        if not rows:
            which = f" of experiment '{experiment}'" if experiment else ""
            _fail(f"no runs{which} under {root}")
        console.print(rows_table(rows, with_diffusion_columns(LIST_COLUMNS, rows), title=f"{len(rows)} runs under {root}"))


def main() -> None:  # pragma: no cover - entry point for `python -m guidance`
    app(prog_name="guide")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
