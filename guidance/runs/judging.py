"""Judging images after the fact: a run folder, a folder of PNGs or an .npz (``guide judge PATH``).

Returns data, a ``Judgement``: one verdict record per image, in input order, their counts and
the set metrics. The CLI renders it; a notebook reads it; ``write_verdicts`` saves the records
as .json (a list, one record per image) or .csv (a row per image).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guidance.configs import DiffuseConfig, RunConfig
from guidance.core.datasets import DEFAULT_DATASET, check_same_dataset, get_dataset
from guidance.core.errors import RunFolderError
from guidance.resolve import Experiment, Workspace
from guidance.runs.browse import read_run
from guidance.runs.execute import diffusion_claim, judge_batch
from guidance.runs.folders import load_images, load_images_to_judge, pixels_in_range

VERDICT_FILES = (".json", ".csv")


@dataclass
class Judgement:
    """The verdicts on a set of images toward one target."""

    source: str  # what was judged: the path as given
    dataset: str
    target: int
    target_name: str
    verdicts: list[dict[str, Any]]  # one record per image, in the input's order, each with a 'verdict'
    counts: dict[str, int]  # verdict -> how many images got it
    set_metrics: dict[str, Any] | None  # FD, precision, recall, coverage, C2ST against real test images (batches >= 10)
    notes: list[str] = field(default_factory=list)  # what was done to the input on the way (a rescale)

    def records(self) -> list[dict[str, Any]]:
        """One flat record per image, in input order: its index, then the verdict and the numbers behind it."""
        return [{"index": i, **verdict} for i, verdict in enumerate(self.verdicts)]


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
    loaded, notes = load_images_to_judge(path)
    pixels, note = pixels_in_range(loaded, path)
    notes += [note] if note else []
    images = torch.from_numpy(pixels).unsqueeze(1)
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
                     verdict_counts(verdicts), measures, notes)


def check_verdict_file(path: str | Path) -> Path:
    """Refuse an --out that exists, has another suffix or sits where nothing can be written; before any work."""
    path = Path(path)
    if path.suffix.lower() not in VERDICT_FILES:
        raise RunFolderError(f"--out {path}: write verdicts to a .json or a .csv file")
    if path.exists():
        raise RunFolderError(f"--out {path} exists; verdicts never overwrite a file (choose another name)")
    if not path.parent.is_dir():
        raise RunFolderError(f"--out {path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise RunFolderError(f"--out {path}: folder {path.parent} is not writable")
    return path


def write_verdicts(judgement: Judgement, path: str | Path) -> Path:
    """Save every image's verdict record to `path` (.json: a list of records; .csv: a row each), whole or not at all."""
    path = check_verdict_file(path)
    records = judgement.records()
    if path.suffix.lower() == ".json":
        text = json.dumps(records, indent=1) + "\n"
    else:
        columns = list(dict.fromkeys(key for record in records for key in record))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.link(temporary, path)  # fails if another command wrote `path` meanwhile: never overwrite
    except FileExistsError:
        raise RunFolderError(f"--out {path} appeared while judging; nothing written") from None
    except OSError as error:
        raise RunFolderError(f"--out {path} could not be written ({error.strerror})") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path
