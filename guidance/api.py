"""The Python API: what the CLI does, callable from a script or a notebook. Everything returns data.

    from guidance import RunConfig, run_experiment
    outcome = run_experiment(RunConfig(start="digit:2", loss="l1", steps=50))
    outcome.summary["images"][0]["p_target"], outcome.result.final

Pass a rich ``Console`` to see progress; without one everything is quiet. Paths may be
``str`` or ``Path``. Each function resolves its config once (guidance.resolve); pass a
``Workspace`` to share loaded data, models and judges between calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from guidance.configs import DEFAULT_MODEL, DenoiserConfig, DiffuseConfig, NoisyClassifierConfig, RunConfig, TrainConfig
from guidance.core.datasets import DEFAULT_DATASET
from guidance.data.loading import ImageData
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model, save_model
from guidance.optimize.loop import Callback
from guidance.resolve import Experiment, Workspace, resolve
from guidance.runs.compare import Comparison, compare_runs
from guidance.runs.execute import RunOutcome, execute_diffusion, execute_loop
from guidance.runs.judging import Judgement, judge_path, write_verdicts

__all__ = [
    "train_model", "train_diffusion", "load_guided_model", "load_run_judge", "run_experiment", "diffuse",
    "judge_path", "write_verdicts", "compare_runs", "resume_run", "resolve", "RunOutcome", "Judgement", "Comparison", "Workspace", "Experiment",
]


def train_model(
    config: TrainConfig, out: str | Path | None = None, data_dir: str | Path | None = None,
    console=None, name: str = "model",
) -> tuple[GuidedModel, Path, bool]:
    """Train a classifier into `out`, or into the user cache unless it is there already.

    Returns (model, folder, reused). A model the package ships is not reused here: training
    is what was asked for, and the cached result then takes precedence over the shipped one.
    """
    from guidance.models.architectures import check_architecture
    from guidance.training.classifier import train_classifier
    from guidance.training.presets import cached_or_trained

    check_architecture(config.arch)
    workspace = Workspace(data_dir, console)
    data = workspace.loader(config.dataset)
    if out is None:
        folder, how = cached_or_trained(config, name, data, lambda *_: workspace.training_callbacks(), use_shipped=False)
        return load_model(folder), folder, how == "cached"
    save_model(train_classifier(config, data(), callbacks=workspace.training_callbacks(), name=name), Path(out))
    return load_model(out), Path(out), False


def train_diffusion(
    config: DenoiserConfig | NoisyClassifierConfig, out: str | Path | None = None,
    data_dir: str | Path | None = None, console=None,
) -> tuple[dict, Path, bool]:
    """Train the denoiser or a noise-aware classifier into `out`, or into the cache unless it is there.

    Returns (its metrics.json contents, folder, reused).
    """
    import json

    from guidance.diffusion.presets import cached_folder, train_diffusion_model
    from guidance.runs.folders import new_output_folder

    workspace = Workspace(data_dir, console)
    data = workspace.loader(config.dataset)
    if out is None:
        folder, how = cached_folder(config, data, workspace.on_train(f"'{config.kind}' model"), use_shipped=False)
    else:
        folder = new_output_folder(out, "model", "models")
        folder.rmdir()  # the model is renamed into place whole
        train_diffusion_model(config, data(), folder, workspace.training_callbacks())
        how = "trained"
    return json.loads((folder / "metrics.json").read_text()), folder, how == "cached"


def load_guided_model(
    spec: str = DEFAULT_MODEL, target: int = 8, trust_pickle: bool = False,
    data_dir: str | Path | None = None, console=None, data: Callable[[], ImageData] | None = None,
    dataset: str = DEFAULT_DATASET,
) -> GuidedModel:
    """A preset (the user's cache, else shipped, else trained now), a model folder, or a fastai learner .pkl.

    Pass the caller's `data` loader to reuse the data set already in memory.
    """
    from guidance.training.presets import check_model_spec

    check_model_spec(spec)
    return Workspace(data_dir, console, trust_pickle, data).guided_model(spec, dataset, target)


def load_run_judge(
    target: int, data_dir: str | Path | None = None, console=None, folder: str | Path | None = None,
    data: Callable[[], ImageData] | None = None, dataset: str = DEFAULT_DATASET,
):
    """The judge (the user's cached one, else the shipped one, else trained now, saying so) and its index for `target`.

    Pass the caller's `data` loader to reuse the data set already in memory.
    """
    return Workspace(data_dir, console, data=data).judge(dataset, target, folder)


def _workspace(workspace, data_dir, console, trust_pickle, data) -> Workspace:
    return workspace if workspace is not None else Workspace(data_dir, console, trust_pickle, data)


def run_experiment(
    config: RunConfig, out: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, callbacks: Iterable[Callback] = (),
    model: GuidedModel | None = None, data: Callable[[], ImageData] | None = None, judge=None,
    workspace: Workspace | None = None,
) -> RunOutcome:
    """Load the model and start images, guide, and save a run folder (see guidance.runs.folders).

    Pass a loaded `model`, a `data` loader and a `judge`, or a `workspace`, to reuse them across runs.
    """
    experiment = resolve(config, _workspace(workspace, data_dir, console, trust_pickle, data), model=model, judge=judge)
    return execute_loop(experiment, out, callbacks)


def resume_run(
    folder: str | Path, data_dir: str | Path | None = None, trust_pickle: bool = False, console=None,
    callbacks: Iterable[Callback] = (), workspace: Workspace | None = None, kind: str | None = None,
) -> RunOutcome:
    """Continue a killed or interrupted run (of either kind) from its last checkpoint, in its own folder.

    The final images are byte-identical to those of the same run never stopped (on the same device).
    With `kind` ('run' or 'diffuse'), a folder of the other kind is refused.
    """
    from guidance.runs.execute import resume_run as resume

    return resume(folder, _workspace(workspace, data_dir, console, trust_pickle, None), callbacks, kind)


def diffuse(
    config: DiffuseConfig, out: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, callbacks: Iterable[Callback] = (),
    data: Callable[[], ImageData] | None = None, judge=None, workspace: Workspace | None = None,
) -> RunOutcome:
    """Sample digits from pure noise with the denoiser, guided toward config.target; save a run folder.

    The folder has what ``guide run`` writes (config, metrics.jsonl, images.npz, frames, GIF,
    contact sheet, summary.json with verdicts and set metrics) plus the predicted clean images.
    """
    experiment = resolve(config, _workspace(workspace, data_dir, console, trust_pickle, data), judge=judge)
    return execute_diffusion(experiment, out, callbacks)
