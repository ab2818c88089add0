"""`guide compare` and `guide showcase`: configs and run folders side by side, on the same starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from guidance.cli.options import (
    DataDir,
    SortOption,
    TensorBoardDir,
    TensorBoardFlag,
    TrustPickle,
    UserErrors,
    Verbose,
    check_count,
    console,
    print_fitted,
    say_note,
    tensorboard_folder,
)


def compare(
    sources: Annotated[Optional[list[Path]], typer.Argument(help="Experiment configs (.toml) and/or existing run folders.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Comparison folder (must not exist or be empty); default results/runs/<time>-compare.")] = None,
    batch: Annotated[Optional[int], typer.Option(help="Images per config (default: the first config's).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for every config (default: the first config's).")] = None,
    sort: SortOption = None,
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Run every config on this data set; refuse run folders of another.")] = None,
    trust_pickle: TrustPickle = False,
    tensorboard: TensorBoardFlag = False,
    tensorboard_dir: TensorBoardDir = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Run configs on the same starts and seeds; one table, snapshots and curves side by side."""
    _compare(sources or [], out, batch, seed, sort, data, trust_pickle, verbose, dataset,
             tensorboard_folder(tensorboard, tensorboard_dir))


def showcase(
    out: Annotated[Path, typer.Option(help="Where the showcase goes (must not exist or be empty).")] = Path("results/showcase"),
    batch: Annotated[int, typer.Option(help="Images per experiment.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed for every experiment.")] = 0,
    tensorboard: TensorBoardFlag = False,
    tensorboard_dir: TensorBoardDir = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Regenerate results/showcase: the write-up's flip, noise + l1, both robust generations, the denoiser guided
    four ways; and in sneaker/, Fashion-MNIST's flip from a sandal and its two generations of a sneaker."""
    from guidance.runs.compare import SHOWCASE_SNEAKER, showcase_configs

    board = tensorboard_folder(tensorboard, tensorboard_dir)
    _compare(showcase_configs, out, batch, seed, None, data, False, verbose, tensorboard=board)
    _compare(lambda: showcase_configs(SHOWCASE_SNEAKER), out / "sneaker", batch, seed, None, data, False, verbose,
             tensorboard=board)


def _compare(sources, out, batch, seed, sort, data, trust_pickle, verbose, dataset=None, tensorboard=None) -> None:
    """compare and showcase: `sources` is a list of paths, or a function returning one (may fail)."""
    with UserErrors(verbose):
        check_count("batch", batch)
        from guidance.api import compare_runs

        shell = console()
        comparison = compare_runs(sources() if callable(sources) else sources, out=out, batch=batch, seed=seed,
                                  sort=sort, data_dir=data, trust_pickle=trust_pickle, console=shell, dataset=dataset,
                                  tensorboard=tensorboard)
        _report_comparison(shell, comparison)


def _report_comparison(shell, comparison: Any) -> None:
    from guidance.runs.tables import COMPARE_DROP, COMPARE_VIEW, with_diffusion_columns

    print_fitted(shell, comparison.rows, with_diffusion_columns(COMPARE_VIEW, comparison.rows), COMPARE_DROP,
                 f"comparison: {comparison.folder}", more="compare.csv and compare.json hold every column")
    for note in comparison.notes:
        say_note(shell, note)
    scales = " and scales.png (the guidance-scale sweep)" if (comparison.folder / "scales.png").is_file() else ""
    shell.print(f"saved compare.csv, compare.json, snapshots.png, curves.png{scales} in {comparison.folder}")
