"""Running an experiment into a run folder: the loop (``guide run``) or the sampler (``guide diffuse``).

Each takes a resolved ``Experiment`` (guidance.resolve): what it needs is loaded there,
once, and the order of failures stays what a user expects: a bad name, device or start
fails before any data loads or any model trains, and before a folder is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from guidance.optimize.loop import Callback, GuideResult, guide
from guidance.resolve import Experiment


@dataclass
class RunOutcome:
    """What a run made: the loop's (or sampler's) result, the summary and where it was saved."""

    result: GuideResult
    summary: dict[str, Any]
    folder: Path
    model: Any  # the guided model; for diffusion the guiding classifier, else the denoiser


def execute(experiment: Experiment, out: str | Path | None = None, callbacks: Iterable[Callback] = ()) -> RunOutcome:
    """Run the experiment (of either kind) into a new run folder."""
    if experiment.kind == "diffuse":
        return execute_diffusion(experiment, out, callbacks)
    return execute_loop(experiment, out, callbacks)


def execute_loop(experiment: Experiment, out: str | Path | None = None, callbacks: Iterable[Callback] = ()) -> RunOutcome:
    """Load the model and start images, guide, and save a run folder (see runs/folders.py)."""
    from guidance.optimize.callbacks import JsonlLog, RichProgress
    from guidance.optimize.starts import make_start
    from guidance.runs.folders import create_run_folder, summarize, write_run

    config, console = experiment.config, experiment.workspace.console
    start = make_start(config.start, config.batch, config.seed, experiment.loader)  # fails before any training
    model = experiment.model
    folder = create_run_folder(config, out)
    loop_callbacks: list[Callback] = [JsonlLog(folder / "metrics.jsonl"), *callbacks]
    if console is not None:
        loop_callbacks.append(RichProgress(console, experiment.target_name))
    result = guide(model, start.pixels, config, loop_callbacks)
    data_source = experiment.data_source or model.info.get("data", {}).get("source", "?")
    summary = summarize(config, result, model.info, start.labels, data_source)
    if config.judge and result.status != "nan":
        add_verdicts(summary, *judge_batch(experiment, result.final, model, result.final_p_target, result.start))
    write_run(folder, summary, result)
    return RunOutcome(result, summary, folder, model)


def execute_diffusion(experiment: Experiment, out: str | Path | None = None,
                      callbacks: Iterable[Callback] = ()) -> RunOutcome:
    """Sample from pure noise with the denoiser, guided toward the target; save a run folder.

    The folder has what ``guide run`` writes plus the predicted clean images.
    """
    from guidance.diffusion.sampling import make_sampler, sample
    from guidance.diffusion.steering import steered_noise
    from guidance.optimize.callbacks import JsonlLog, SamplingProgress
    from guidance.optimize.loop import resolve_device
    from guidance.runs.folders import create_run_folder, summarize, write_run

    config, console = experiment.config, experiment.workspace.console
    device = resolve_device(config.device)
    denoiser = experiment.denoiser
    sampler = make_sampler(config.sampler, denoiser, config.sampling_steps)  # a bad step count fails before any folder
    classifier = experiment.model
    if classifier is not None:
        classifier = classifier.to(device).eval().requires_grad_(False)
    judge = experiment.judge
    reader = judge.model.to(device).eval()
    denoiser = denoiser.to(device).requires_grad_(False)
    alphas = sampler.alphas_cumprod.float()
    predict = steered_noise(config.guidance, denoiser, config.scale, config.target, alphas.to(device), classifier)
    folder = create_run_folder(config, out)
    loop_callbacks: list[Callback] = [JsonlLog(folder / "metrics.jsonl"), *callbacks]
    if console is not None:
        loop_callbacks.append(SamplingProgress(console, experiment.target_name, config.sampling_steps))
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
        guided, guided_p = diffusion_claim(classifier, result.final)
        add_verdicts(summary, *judge_batch(experiment, result.final, guided, guided_p))
        if classifier is not None:  # how sure the guiding classifier is, beside the judge's p_target
            for image, p in zip(summary["images"], guided_p):
                image["p_guide"] = p
        if config.guidance == "none":
            from guidance.verdicts.census import digit_census

            summary["census"] = digit_census(judge.model, experiment.data, result.final)
    write_run(folder, summary, result)
    return RunOutcome(result, summary, folder, classifier or denoiser)


def diffusion_claim(classifier, images) -> tuple[Any, list[float]]:
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


def judge_batch(experiment: Experiment, images, guided, guided_p=None, starts=None) -> tuple[list[dict], dict | None]:
    """Verdicts for a batch of final images (B, 1, H, W) guided by `guided` toward the experiment's target,
    and the batch's set metrics against real test images of the target (None for small batches)."""
    from guidance.verdicts.judge import judge_images
    from guidance.verdicts.metrics import set_metrics

    config, judge = experiment.config, experiment.judge
    verdicts = judge_images(judge, images, guided, config.target, config.threshold, guided_p, starts)
    return verdicts, set_metrics(judge, images, experiment.data.test_digits(config.target))


def add_verdicts(summary: dict[str, Any], verdicts: list[dict], measures: dict | None = None) -> None:
    """Merge per-image verdicts, their counts and the set metrics into a run summary."""
    from guidance.verdicts.judge import verdict_counts

    for image, verdict in zip(summary["images"], verdicts):
        image.update({k: v for k, v in verdict.items() if k != "p_target"})
    summary["verdicts"] = verdict_counts(verdicts)
    if measures is not None:
        summary["set_metrics"] = measures
