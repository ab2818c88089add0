"""`guide judge`: verdicts on a run folder, a folder of PNGs or an .npz; or `guide judge train`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from guidance.cli.options import (
    DataDir,
    DatasetOption,
    TargetOption,
    TrustPickle,
    UserErrors,
    Verbose,
    console,
    say_note,
)


def judge(
    path: Annotated[str, typer.Argument(help="A run folder, a folder of 28x28 PNGs, an .npz of images, or 'train' to train the judge.")],
    model: Annotated[Optional[str], typer.Option(help="The guided model the images were made for (default: the run's own, else 'robust').")] = None,
    trust_pickle: TrustPickle = False,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    threshold: Annotated[Optional[float], typer.Option(help="p(target) that counts as sure (default: the run's, else 0.99).")] = None,
    judge_dir: Annotated[Optional[Path], typer.Option("--judge", help="Judge model folder (default: the cached judge).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write every image's verdict and the numbers behind it to this new .json (a list of records) or .csv file.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show every image's row (default: the first 32).")] = False,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Give images a verdict: generated, artificial, flip, unchanged, already or unrealistic."""
    with UserErrors(verbose):
        shell = console()
        if path == "train" and not Path(path).exists():
            from guidance.api import train_model
            from guidance.configs import critic_config, judge_config
            from guidance.core.datasets import DEFAULT_DATASET
            from guidance.runs.render import train_table

            for name, recipe in (("judge", judge_config), ("critic", critic_config)):
                model, folder, reused = train_model(recipe(dataset or DEFAULT_DATASET), data_dir=data,
                                                    console=shell, name=name)
                if reused:
                    shell.print(f"the {name} is already trained: {folder}", soft_wrap=True)  # a path stays one string to copy
                shell.print(train_table(model.info, str(folder)))
            return
        from guidance.api import judge_path
        from guidance.runs.judging import check_verdict_file, write_verdicts
        from guidance.runs.render import verdict_table

        if out is not None:
            check_verdict_file(out)
        judgement = judge_path(
            path, model=model, target=target, threshold=threshold, judge_folder=judge_dir,
            data_dir=data, trust_pickle=trust_pickle, console=shell, dataset=dataset,
        )
        for note in judgement.notes:
            say_note(shell, note)
        shell.print(verdict_table(judgement.source, judgement.verdicts, judgement.counts, judgement.target_name,
                                  judgement.set_metrics, limit=None if show_all else 32))
        if out is not None:
            shell.print(f"verdicts written to {write_verdicts(judgement, out)}", highlight=False)
