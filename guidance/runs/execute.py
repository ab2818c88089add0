"""Running an experiment into a run folder: the loop (``guide run``) or the sampler (``guide diffuse``).

Each takes a resolved ``Experiment`` (guidance.resolve): what it needs is loaded there,
once, and the order of failures stays what a user expects: a bad name, device or start
fails before any data loads or any model trains, and before a folder is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from guidance.configs import NO_CLASS
from guidance.optimize.loop import Callback, GuideResult, guide
from guidance.resolve import Experiment


@dataclass
class RunOutcome:
    """What a run made: the loop's (or sampler's) result, the summary and where it was saved."""

    result: GuideResult
    summary: dict[str, Any]
    folder: Path
    model: Any  # the guided model; for diffusion the guiding classifier, else the denoiser


def tensorboard_log(config, folder: Path):
    """The TensorBoard callback for a run folder, when the config asks for one (else None)."""
    if not config.tensorboard:
        return None
    from guidance.runs.tensorboard import TensorBoardLog

    return TensorBoardLog(config.tensorboard, folder.name)


def execute(experiment: Experiment, out: str | Path | None = None, callbacks: Iterable[Callback] = (),
            resume_from: str | Path | None = None) -> RunOutcome:
    """Run the experiment (of either kind) into a new run folder, or on from `resume_from`'s checkpoint."""
    run = execute_diffusion if experiment.kind == "diffuse" else execute_loop
    return run(experiment, out, callbacks, resume_from)


def _open_folder(experiment: Experiment, out, resume_from) -> tuple[Path, Any]:
    """A new run folder; or the folder to resume, its log cut back to its checkpoint, and the checkpoint's state."""
    from guidance.runs.checkpoints import read_checkpoint, restart_from
    from guidance.runs.folders import create_run_folder

    if resume_from is None:
        return create_run_folder(experiment.config, out), None
    folder = Path(resume_from)
    state = read_checkpoint(folder, experiment.kind)
    restart_from(folder, state)
    return folder, state


def _run_callbacks(folder: Path, state, callbacks: Iterable[Callback], board) -> list[Callback]:
    """The JSONL log and the checkpoints, the caller's callbacks, and TensorBoard when asked for."""
    from guidance.optimize.callbacks import JsonlLog
    from guidance.runs.checkpoints import Checkpointer

    logs = [JsonlLog(folder / "metrics.jsonl"), Checkpointer(folder, state.step if state else None), *callbacks]
    return logs + ([board] if board is not None else [])


def _close(folder: Path, summary: dict[str, Any], result, board) -> None:
    from guidance.runs.checkpoints import close_run
    from guidance.runs.folders import write_run

    write_run(folder, summary, result)
    close_run(folder, result.status, result.steps_done)
    if board is not None:
        board.finish(summary)


def execute_loop(experiment: Experiment, out: str | Path | None = None, callbacks: Iterable[Callback] = (),
                 resume_from: str | Path | None = None) -> RunOutcome:
    """Load the model and start images, guide, and save a run folder (see runs/folders.py)."""
    from guidance.optimize.callbacks import RichProgress
    from guidance.optimize.starts import make_start
    from guidance.runs.folders import summarize

    config, console = experiment.config, experiment.workspace.console
    start = make_start(config.start, config.batch, config.seed, experiment.loader)  # fails before any training
    say_notes(experiment, start.notes)
    model = experiment.model
    folder, state = _open_folder(experiment, out, resume_from)
    board = tensorboard_log(config, folder)
    loop_callbacks = _run_callbacks(folder, state, callbacks, board)
    if console is not None:
        loop_callbacks.append(RichProgress(console, experiment.target_name))
    result = guide(model, state.start if state else start.pixels, config, loop_callbacks, resume=state)
    data_source = experiment.data_source or model.info.get("data", {}).get("source", "?")
    summary = summarize(config, result, model.info, start.labels, data_source)
    if config.judge and result.status != "nan":
        add_verdicts(summary, *judge_batch(experiment, result.final, model, result.final_p_target, result.start))
        add_judge_p(summary, experiment, result.final, {"judge_p_start": start.classes})
    _close(folder, summary, result, board)
    return RunOutcome(result, summary, folder, model)


def execute_diffusion(experiment: Experiment, out: str | Path | None = None,
                      callbacks: Iterable[Callback] = (), resume_from: str | Path | None = None) -> RunOutcome:
    """Sample from pure noise with the denoiser, guided toward the target; save a run folder.

    The folder has what ``guide run`` writes plus the predicted clean images.
    """
    from guidance.diffusion.sampling import make_sampler, sample
    from guidance.diffusion.steering import steered_noise
    from guidance.optimize.callbacks import SamplingProgress
    from guidance.optimize.loop import resolve_device
    from guidance.runs.folders import summarize

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
    negative = None if config.negative == NO_CLASS else config.negative
    away = experiment.negative_model
    if away is not None:
        away = away.to(device).eval().requires_grad_(False)
    predict = steered_noise(config.guidance, denoiser, config.scale, config.target, alphas.to(device), classifier,
                            negative, away)
    start = None
    if config.start != "noise":
        from guidance.optimize.starts import make_start

        start = make_start(config.start, config.batch, config.seed, experiment.loader)
        say_notes(experiment, start.notes)
    folder, state = _open_folder(experiment, out, resume_from)
    board = tensorboard_log(config, folder)
    loop_callbacks = _run_callbacks(folder, state, callbacks, board)
    if console is not None:
        loop_callbacks.append(SamplingProgress(console, experiment.target_name, config.sampling_steps))
    try:
        result = sample(predict, sampler, alphas, config, lambda pixels: reader(pixels).softmax(1),
                        reader.class_names, device, loop_callbacks, resume=state,
                        start=None if start is None else start.pixels)
    finally:
        reader.cpu()  # the verdicts read on the CPU
    model_info = {"arch": type(classifier or denoiser.unet).__name__} | (classifier or denoiser).info
    labels = start.labels if start else [f"noise seed {config.seed + i}" for i in range(config.batch)]
    summary = summarize(config, result, model_info, labels,
                        denoiser.info.get("data", {}).get("source", "?"))
    summary["denoiser"] = {k: denoiser.info.get(k) for k in ("name", "folder", "train_config", "test")}
    if config.judge and result.status != "nan":
        guided, guided_p = diffusion_claim(classifier, result.final)
        add_verdicts(summary, *judge_batch(experiment, result.final, guided, guided_p,
                                           None if start is None else start.pixels))
        add_judge_p(summary, experiment, result.final, {
            "judge_p_start": start and start.classes,
            "judge_p_negative": None if negative is None else [negative] * config.batch})
        if classifier is not None:  # how sure the guiding classifier is, beside the judge's p_target
            for image, p in zip(summary["images"], guided_p):
                image["p_guide"] = p
        if config.guidance == "none":
            from guidance.verdicts.census import digit_census

            summary["census"] = digit_census(judge, experiment.data, result.final)
    _close(folder, summary, result, board)
    return RunOutcome(result, summary, folder, classifier or denoiser)


def say_notes(experiment: Experiment, notes) -> None:
    """What was done to the input on the way (an alpha channel flattened), a line each."""
    from rich.markup import escape

    console = experiment.workspace.console
    for note in notes if console is not None else ():
        console.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)  # one line, however long the path


def diffusion_claim(classifier, images) -> tuple[Any, list[float]]:
    """How sure the guidance was of the target, per sampled image, for the verdicts.

    With classifier guidance, the guiding classifier's p(target) on the final image (a
    noise-aware one read at timestep 0). Classifier-free and unguided sampling have no classifier
    to be sure of anything (None): the judge decides, and an image of another class is 'unchanged'.
    """
    import torch

    from guidance.diffusion.classifier import NoisyClassifier

    if classifier is None:
        return None, [None] * len(images)
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


def add_judge_p(summary: dict[str, Any], experiment: Experiment, images, classes: dict[str, list[int] | None]) -> None:
    """Per image, the judge's p of other classes than the target, under each key of `classes` that has
    some: the start's (how much of the 2 is left), the negative class's (how much it looks like what
    guidance steered away from). One forward pass of the judge for all of them."""
    classes = {key: labels for key, labels in classes.items() if labels is not None}
    if not classes:
        return
    import torch

    with torch.no_grad():
        probs = experiment.judge.model(images).softmax(1).tolist()
    for key, labels in classes.items():
        for image, row, label in zip(summary["images"], probs, labels):
            image[key] = row[label]


def resume_run(folder: str | Path, workspace, callbacks: Iterable[Callback] = (), kind: str | None = None) -> RunOutcome:
    """Continue a killed or interrupted run from its last checkpoint, in its own folder.

    The final images are those the run would have made had it never stopped. A finished run, one
    whose loss became NaN, or one another process is running (or resuming) now is refused.
    """
    from filelock import FileLock, Timeout

    from guidance.core.errors import RunFolderError
    from guidance.resolve import resolve
    from guidance.runs.browse import read_run

    record = read_run(folder)
    if kind is not None and record.kind != kind:
        command = "guide diffuse" if record.kind == "diffuse" else "guide run"
        raise RunFolderError(f"{record.folder} is a '{record.kind}' run; resume it with {command} --resume")
    refusals = {
        "finished": "has finished; nothing to resume (start a new run instead)",
        "early_stop": "has finished (every image reached the threshold); nothing to resume",
        "nan": "stopped because its loss became NaN; resuming would meet it again",
        "running": f"is still running (process {record.status.get('pid')}); stop it first, or wait",
    }
    if record.state in refusals:
        raise RunFolderError(f"{record.folder} {refusals[record.state]}")
    experiment = resolve(record.typed_config(), workspace)
    try:
        with FileLock(record.folder / ".resume.lock", timeout=0):
            return execute(experiment, callbacks=callbacks, resume_from=record.folder)
    except Timeout:
        raise RunFolderError(f"{record.folder} is being resumed by another command now") from None
