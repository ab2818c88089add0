"""Judging images after the fact: a run folder, a folder of PNGs or an .npz (``guide judge PATH``).

Returns data, a ``Judgement``: one verdict record per image, in input order, their counts and
the set metrics. The CLI renders it; a notebook reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidance.configs import DiffuseConfig, RunConfig
from guidance.core.datasets import DEFAULT_DATASET, check_same_dataset, get_dataset
from guidance.resolve import Experiment, Workspace
from guidance.runs.browse import read_run
from guidance.runs.execute import diffusion_claim, judge_batch
from guidance.runs.folders import load_images, load_images_to_judge


@dataclass
class Judgement:
    """The verdicts on a set of images toward one target."""

    source: str  # what was judged: the path as given
    dataset: str
    target: int
    target_name: str
    verdicts: list[dict[str, Any]]  # one record per image, in the input's order, each with a 'verdict'
    counts: dict[str, int]  # verdict -> how many images got it
    set_metrics: dict[str, Any] | None  # FD, precision, recall, coverage against real test images (batches >= 10)


def judge_path(
    path: str | Path, model: str | None = None, target: int | str | None = None, threshold: float | None = None,
    judge_folder: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, dataset: str | None = None,
) -> Judgement:
    """Judge a run folder, a folder of PNGs or an .npz after the fact.

    A run folder brings its own data set, target, threshold and guided model; `dataset` must
    then match it (None: take the run's). Elsewhere the defaults are MNIST, 8, 0.99 and 'robust'.
    """
    import torch

    from guidance.verdicts.judge import verdict_counts

    path = Path(path)
    images = torch.from_numpy(load_images_to_judge(path)).unsqueeze(1)
    config, run_p, starts = RunConfig(dataset=dataset or DEFAULT_DATASET), None, None
    summary: dict[str, Any] = {}
    is_run = (path / "config.toml").is_file()
    if is_run:
        config = read_run(path).typed_config()
        check_same_dataset(config.dataset, dataset, f"run folder {path}")
        summary = read_run(path).summary or {}
    run_config = config
    parsed_target = None if target is None else get_dataset(config.dataset).parse_target(target)
    config = config.override(target=parsed_target, threshold=threshold)
    workspace = Workspace(data_dir, console, trust_pickle)
    judge = workspace.judge(config.dataset, config.target, judge_folder)
    if isinstance(config, DiffuseConfig):
        experiment = Experiment(config, workspace, given_judge=judge)
        guided, run_p = diffusion_claim(experiment.model, images)
    else:
        if is_run and model is None:
            folder = summary.get("model", {}).get("folder")
            model = folder if folder and Path(folder).is_dir() else config.model
        if is_run and parsed_target in (None, run_config.target) and len(summary.get("images", [])) == len(images):
            run_p = [image["p_target"] for image in summary["images"]]  # as the loop measured it
        if is_run:
            starts = torch.from_numpy(load_images(path)["start"]).unsqueeze(1)
        experiment = Experiment(config.override(model=model), workspace,
                                given_judge=judge)
        guided = experiment.model
    verdicts, measures = judge_batch(experiment, images, guided, run_p, starts)
    return Judgement(str(path), config.dataset, config.target, experiment.target_name, verdicts,
                     verdict_counts(verdicts), measures)
