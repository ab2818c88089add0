"""The Python API: what the CLI does, callable from a script or a notebook.

    from guidance import RunConfig, run_experiment
    outcome = run_experiment(RunConfig(start="digit:2", loss="l1", steps=50))
    outcome.summary["images"][0]["p_target"], outcome.result.final

Pass a rich ``Console`` to see progress; without one everything is quiet.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from guidance.config import DEFAULT_MODEL, RunConfig, TrainConfig
from guidance.data.loading import ImageData, load_data
from guidance.datasets import DEFAULT_DATASET, check_same_dataset, class_name, get_dataset
from guidance.diffusion_config import DenoiserConfig, DiffuseConfig, NoisyClassifierConfig, load_experiment
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model, save_model
from guidance.optimize.loop import Callback, GuideResult, guide, resolve_device
from guidance.training.presets import cached_or_trained, check_model_spec, resolve_model

if TYPE_CHECKING:
    from guidance.runs.compare import Comparison


def _data_loader(data_dir: str | Path | None, console, dataset: str = DEFAULT_DATASET) -> Callable[[], ImageData]:
    """Load the data set once, on first use, saying so when it is only the embedded sample."""

    @functools.cache
    def data() -> ImageData:
        loaded = load_data(dataset, data_dir)
        if loaded.notice and console is not None:
            console.print(f"[yellow]{loaded.notice}")
        return loaded

    return data


def _loader(data: Callable[[], ImageData] | None, data_dir, console, dataset: str) -> Callable[[], ImageData]:
    """The caller's data loader, refused on first use if it holds another data set; else a new one."""
    if data is None:
        return _data_loader(data_dir, console, dataset)

    @functools.cache
    def checked() -> ImageData:
        loaded = data()
        check_same_dataset(loaded.dataset, dataset, "the data passed in")
        return loaded

    return checked


def _training_callbacks(console) -> list:
    if console is None:
        return []
    from guidance.training.classifier import RichProgress

    return [RichProgress(console)]


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

    check_architecture(config.arch)
    data = _data_loader(data_dir, console, config.dataset)
    if out is None:
        folder, how = cached_or_trained(config, name, data, lambda *_: _training_callbacks(console), use_shipped=False)
        return load_model(folder), folder, how == "cached"
    save_model(train_classifier(config, data(), callbacks=_training_callbacks(console), name=name), Path(out))
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

    data = _data_loader(data_dir, console, config.dataset)
    if out is None:
        folder, how = cached_folder(config, data, _announcer(console)(type(config).__name__), use_shipped=False)
    else:
        folder = new_output_folder(out, "model", "models")
        folder.rmdir()  # the model is renamed into place whole
        train_diffusion_model(config, data(), folder, _training_callbacks(console))
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
    data = _loader(data, data_dir, console, dataset)

    def announce(config: TrainConfig, folder: Path) -> list:
        if console is not None:
            console.print(f"no cached '{spec}' model for {config.dataset} '{class_name(config.dataset, target)}' yet: "
                          f"training it first ({config.arch}, "
                          f"{config.epochs} epoch(s)) into {folder}")
        return _training_callbacks(console)

    return resolve_model(spec, target, data, trust_pickle, on_train=announce)


@dataclass
class RunOutcome:
    """What run_experiment made: the loop's result, the summary and where it was saved."""

    result: GuideResult
    summary: dict[str, Any]
    folder: Path
    model: GuidedModel


def run_experiment(
    config: RunConfig, out: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, callbacks: Iterable[Callback] = (),
    model: GuidedModel | None = None, data: Callable[[], ImageData] | None = None, judge=None,
) -> RunOutcome:
    """Load the model and start images, guide, and save a run folder (see runs/folders.py).

    Pass a loaded `model`, a `data` loader and a `judge` to reuse them across many runs (sweeps do).
    """
    from guidance.optimize.callbacks import JsonlLog, RichProgress
    from guidance.optimize.starts import make_start
    from guidance.runs.folders import create_run_folder, summarize, write_run

    resolve_device(config.device)  # fail before anything is written
    if model is None:
        check_model_spec(config.model)  # before the data (and its notice) is loaded
    data = _loader(data, data_dir, console, config.dataset)
    start = make_start(config.start, config.batch, config.seed, data)  # a bad start fails before any training
    if model is None:
        model = load_guided_model(config.model, config.target, trust_pickle, data_dir, console, data, config.dataset)
    folder = create_run_folder(config, out)
    loop_callbacks: list[Callback] = [JsonlLog(folder / "metrics.jsonl"), *callbacks]
    if console is not None:
        loop_callbacks.append(RichProgress(console, class_name(config.dataset, config.target)))
    result = guide(model, start.pixels, config, loop_callbacks)
    data_source = data().source if data.cache_info().currsize else model.info.get("data", {}).get("source", "?")
    summary = summarize(config, result, model.info, start.labels, data_source)
    if config.judge and result.status != "nan":
        verdicts, measures = judge_run(result.final, model, config, data_dir, console, guided_p=result.final_p_target,
                                       data=data, starts=result.start, judge=judge)
        add_verdicts(summary, verdicts, measures)
    write_run(folder, summary, result)
    return RunOutcome(result, summary, folder, model)


def diffuse(
    config: DiffuseConfig, out: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, callbacks: Iterable[Callback] = (),
    data: Callable[[], ImageData] | None = None, judge=None,
) -> RunOutcome:
    """Sample digits from pure noise with the denoiser, guided toward config.target; save a run folder.

    The folder has what ``guide run`` writes (config, metrics.jsonl, images.npz, frames, GIF,
    contact sheet, summary.json with verdicts and set metrics) plus the predicted clean images.
    """
    from guidance.diffusion.presets import (
        DENOISER_PRESETS,
        check_guide_classifier_spec,
        denoiser_preset,
        resolve_denoiser,
        resolve_guide_classifier,
    )
    from guidance.diffusion.sampling import check_sampling_steps, make_sampler, sample
    from guidance.diffusion.steering import steered_noise
    from guidance.optimize.callbacks import JsonlLog, SamplingProgress
    from guidance.runs.folders import create_run_folder, summarize, write_run

    device = resolve_device(config.device)
    if config.denoiser in DENOISER_PRESETS:  # before the data (and its notice) is loaded
        check_sampling_steps(config.sampling_steps, denoiser_preset(config.denoiser, config.dataset).timesteps)
    if config.guidance == "classifier":
        check_guide_classifier_spec(config.model)
    data = _loader(data, data_dir, console, config.dataset)
    announce = _announcer(console)
    denoiser = resolve_denoiser(config.denoiser, data, announce("denoiser"))
    sampler = make_sampler(config.sampler, denoiser, config.sampling_steps)  # a bad step count fails before any folder
    classifier = None
    if config.guidance == "classifier":
        classifier = resolve_guide_classifier(config.model, config.target, data, trust_pickle, announce(config.model))
        classifier = classifier.to(device).eval().requires_grad_(False)
    judge = judge or load_run_judge(config.target, data_dir, console, data=data, dataset=config.dataset)
    reader = judge.model.to(device).eval()
    denoiser = denoiser.to(device).requires_grad_(False)
    alphas = sampler.alphas_cumprod.float()
    predict = steered_noise(config.guidance, denoiser, config.scale, config.target, alphas.to(device), classifier)
    folder = create_run_folder(config, out)
    loop_callbacks: list[Callback] = [JsonlLog(folder / "metrics.jsonl"), *callbacks]
    if console is not None:
        loop_callbacks.append(SamplingProgress(console, class_name(config.dataset, config.target), config.sampling_steps))
    try:
        result = sample(predict, sampler, alphas, config, lambda pixels: reader(pixels).softmax(1),
                        reader.class_names, device, loop_callbacks)
    finally:
        reader.cpu()  # the verdicts read on the CPU
    model_info = {"arch": type(classifier or denoiser.unet).__name__} | (classifier or denoiser).info
    summary = summarize(config, result, model_info, [f"noise seed {config.seed + i}" for i in range(config.batch)],
                        denoiser.info.get("data", {}).get("source", "?"))
    summary["denoiser"] = {k: denoiser.info.get(k) for k in ("name", "folder", "train_config", "test")}
    if config.judge and result.status != "nan":
        guided, guided_p = _diffusion_claim(classifier, result.final)
        verdicts, measures = judge_run(result.final, guided, config, data_dir, console, guided_p=guided_p,
                                       data=data, judge=judge)
        add_verdicts(summary, verdicts, measures)
        if classifier is not None:  # how sure the guiding classifier is, beside the judge's p_target
            for image, p in zip(summary["images"], guided_p):
                image["p_guide"] = p
        if config.guidance == "none":
            from guidance.verdicts.census import digit_census

            summary["census"] = digit_census(judge.model, data(), result.final)
    write_run(folder, summary, result)
    return RunOutcome(result, summary, folder, classifier or denoiser)


def _diffusion_claim(classifier, images) -> tuple[GuidedModel | None, list[float]]:
    """How sure the guidance was of the target, per sampled image, for the verdicts.

    With classifier guidance, the guiding classifier's p(target) on the final image (a
    noise-aware one read at timestep 0): a classifier that is not sure gives 'unchanged'.
    Classifier-free and unguided sampling claim the target outright: the judge decides.
    """
    import torch

    from guidance.diffusion.classifier import NoisyClassifier

    if classifier is None:
        return None, [1.0] * len(images)
    device = next(classifier.parameters()).device
    with torch.no_grad():
        pixels = images.to(device)
        if isinstance(classifier, NoisyClassifier):
            logits = classifier(pixels * 2 - 1, torch.zeros(len(pixels), dtype=torch.long, device=device))
        else:
            logits = classifier(pixels)
    p = logits.softmax(1)[:, classifier.target_index].cpu().tolist()
    return (None if isinstance(classifier, NoisyClassifier) else classifier), p


def _announcer(console) -> Callable[[str], Callable]:
    """on_train hooks that say a model is missing and is being trained now, with a rich progress bar."""

    def announce(name: str) -> Callable:
        def on_train(config, folder: Path) -> list:
            if console is not None:
                console.print(f"no cached '{name}' model yet: training it first into {folder}")
            return _training_callbacks(console)

        return on_train

    return announce


def load_run_judge(
    target: int, data_dir: str | Path | None = None, console=None, folder: str | Path | None = None,
    data: Callable[[], ImageData] | None = None, dataset: str = DEFAULT_DATASET,
):
    """The judge (the user's cached one, else the shipped one, else trained now, saying so) and its index for `target`.

    Pass the caller's `data` loader to reuse the data set already in memory.
    """
    from guidance.verdicts.judge import load_judge

    def announce(_config: TrainConfig, judge_folder: Path) -> list:
        if console is not None:
            console.print(f"no cached judge yet: training it first into {judge_folder}")
        return _training_callbacks(console)

    return load_judge(data or _data_loader(data_dir, console, dataset), target, folder, on_train=announce)


def judge_run(
    images, model: GuidedModel, config: RunConfig, data_dir=None, console=None, judge_folder=None, guided_p=None,
    data: Callable[[], ImageData] | None = None, starts=None, judge=None,
) -> tuple[list[dict], dict | None]:
    """Verdicts for a batch of final images (B, 1, H, W) guided by `model` toward config.target,
    and the batch's set metrics against real digits of the target (None for small batches)."""
    from guidance.verdicts.judge import judge_images
    from guidance.verdicts.metrics import set_metrics

    data = _loader(data, data_dir, console, config.dataset)
    judge = judge or load_run_judge(config.target, data_dir, console, judge_folder, data, config.dataset)
    verdicts = judge_images(judge, images, model, config.target, config.threshold, guided_p, starts)
    return verdicts, set_metrics(judge, images, data().test_digits(config.target))


def add_verdicts(summary: dict[str, Any], verdicts: list[dict], measures: dict | None = None) -> None:
    """Merge per-image verdicts, their counts and the set metrics into a run summary."""
    from guidance.verdicts.judge import verdict_counts

    for image, verdict in zip(summary["images"], verdicts):
        image.update({k: v for k, v in verdict.items() if k != "p_target"})
    summary["verdicts"] = verdict_counts(verdicts)
    if measures is not None:
        summary["set_metrics"] = measures


def judge_path(
    path: Path, model: str | None = None, target: int | None = None, threshold: float | None = None,
    judge_folder: str | Path | None = None, data_dir: str | Path | None = None,
    trust_pickle: bool = False, console=None, dataset: str | None = None,
):
    """Judge a run folder, a folder of PNGs or an .npz after the fact; returns a rich table.

    A run folder brings its own data set; `dataset` must then match it (None: take the run's).
    """
    import torch

    from guidance.runs.folders import load_images, load_images_to_judge
    from guidance.runs.render import verdict_table
    from guidance.verdicts.judge import verdict_counts

    images = torch.from_numpy(load_images_to_judge(path)).unsqueeze(1)
    config, run_p, starts = RunConfig(dataset=dataset or DEFAULT_DATASET), None, None
    is_run = (path / "config.toml").is_file()
    if is_run:
        config = load_experiment(path / "config.toml")
        check_same_dataset(config.dataset, dataset, f"run folder {path}")
    target = None if target is None else get_dataset(config.dataset).parse_target(target)
    if isinstance(config, DiffuseConfig):
        return _judge_diffusion_run(path, images, config.override(target=target, threshold=threshold),
                                    judge_folder, data_dir, trust_pickle, console)
    if is_run:
        summary = json.loads((path / "summary.json").read_text()) if (path / "summary.json").is_file() else {}
        if model is None:
            folder = summary.get("model", {}).get("folder")
            model = folder if folder and Path(folder).is_dir() else config.model
        if target in (None, config.target) and len(summary.get("images", [])) == len(images):
            run_p = [image["p_target"] for image in summary["images"]]  # as the loop measured it
        starts = torch.from_numpy(load_images(path)["start"]).unsqueeze(1)
    config = config.override(target=target, threshold=threshold)
    guided = load_guided_model(model or config.model, config.target, trust_pickle, data_dir, console,
                               dataset=config.dataset)
    verdicts, measures = judge_run(images, guided, config, data_dir, console, judge_folder, guided_p=run_p, starts=starts)
    return verdict_table(str(path), verdicts, verdict_counts(verdicts), class_name(config.dataset, config.target), measures)


def _judge_diffusion_run(path: Path, images, config: DiffuseConfig, judge_folder, data_dir, trust_pickle, console):
    from guidance.diffusion.presets import resolve_guide_classifier
    from guidance.runs.render import verdict_table
    from guidance.verdicts.judge import verdict_counts

    data = _data_loader(data_dir, console, config.dataset)
    classifier = None
    if config.guidance == "classifier":
        classifier = resolve_guide_classifier(config.model, config.target, data, trust_pickle, _announcer(console)(config.model))
    guided, guided_p = _diffusion_claim(classifier, images)
    verdicts, measures = judge_run(images, guided, config, data_dir, console, judge_folder, guided_p=guided_p, data=data)
    return verdict_table(str(path), verdicts, verdict_counts(verdicts), class_name(config.dataset, config.target), measures)


def compare_runs(
    paths: list[str | Path], out: str | Path | None = None, batch: int | None = None, seed: int | None = None,
    sort: str | None = None, data_dir: str | Path | None = None, trust_pickle: bool = False, console=None,
    dataset: str | None = None,
) -> Comparison:
    """Run the configs that have not run, then tabulate and draw every run side by side.

    Sources are experiment configs (.toml) or run folders, mixed; see ``guidance.runs.compare``.
    With a `dataset`, every config runs on it and a run folder of another data set is refused.
    """
    from guidance.runs.browse import read_run, record_row
    from guidance.runs.compare import Comparison, draw_comparison, read_sources, unique_name
    from guidance.runs.folders import new_output_folder
    from guidance.runs.tables import sort_rows, write_rows

    if dataset is not None:
        get_dataset(dataset)
    sources = read_sources(paths, dataset)
    sort_rows([], sort)  # an unknown --sort column fails now, not after the runs
    first = next((s.config for s in sources if s.config), None)
    batch = batch or (first.batch if first else None)
    seed = seed if seed is not None else (first.seed if first else None)
    notes: list[str] = []
    folder = new_output_folder(out, "compare", "comparisons")
    records, names = [], set()
    for source in sources:
        if source.record is not None:
            record = source.record
            ran = (record.config.get("batch"), record.config.get("seed"))
            if first and ran != (batch, seed):
                notes.append(f"{source.label} ran with batch {ran[0]}, seed {ran[1]} (the configs here use "
                             f"batch {batch}, seed {seed}): its noise starts differ")
        else:
            config = source.config.override(batch=batch, seed=seed)
            name = unique_name(config.experiment, names)
            names.add(name)
            if console is not None:
                console.rule(f"{name}  ({source.label})")
            run = diffuse if isinstance(config, DiffuseConfig) else run_experiment
            run(config, out=folder / "runs" / name, data_dir=data_dir, trust_pickle=trust_pickle, console=console)
            record = read_run(folder / "runs" / name)
        records.append(record)
    rows = [record_row(record, folder) | {"source": source.label} for record, source in zip(records, sources)]
    rows = sort_rows(rows, sort)
    write_rows(folder, "compare", rows)
    draw_comparison(folder, records, rows=rows)
    if notes:
        (folder / "notes.txt").write_text("\n".join(notes) + "\n")
    return Comparison(folder, rows, notes)
