"""`guide run`: guide images toward the target class along a classifier's gradient, and save the run."""

from __future__ import annotations

from typing import Annotated, Any, Optional

from guidance.cli.options import (
    ConfigFile,
    DataDir,
    DatasetOption,
    OutFolder,
    ResumeFolder,
    TargetOption,
    TensorBoardDir,
    TensorBoardFlag,
    TrustPickle,
    UserErrors,
    Verbose,
    console,
    exit_if_stopped,
    field_option,
    run_or_resume,
    tensorboard_folder,
)
from guidance.configs import DEFAULT_MODEL, RunConfig


def run(
    config_file: ConfigFile = None,
    experiment: Annotated[Optional[str], field_option(RunConfig, "experiment")] = None,
    model: Annotated[Optional[str], field_option(RunConfig, "model")] = None,
    trust_pickle: TrustPickle = False,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    start: Annotated[Optional[str], field_option(RunConfig, "start")] = None,
    batch: Annotated[Optional[int], field_option(RunConfig, "batch")] = None,
    seed: Annotated[Optional[int], field_option(RunConfig, "seed")] = None,
    loss: Annotated[Optional[str], field_option(RunConfig, "loss")] = None,
    steps: Annotated[Optional[int], field_option(RunConfig, "steps")] = None,
    step: Annotated[Optional[str], field_option(RunConfig, "step")] = None,
    lr: Annotated[Optional[float], field_option(RunConfig, "lr")] = None,
    noise: Annotated[Optional[float], field_option(RunConfig, "noise")] = None,
    schedule: Annotated[Optional[str], field_option(RunConfig, "schedule")] = None,
    space: Annotated[Optional[str], field_option(RunConfig, "space")] = None,
    param: Annotated[Optional[str], field_option(RunConfig, "param")] = None,
    param_sigma: Annotated[Optional[float], field_option(RunConfig, "param_sigma")] = None,
    param_factor: Annotated[Optional[int], field_option(RunConfig, "param_factor")] = None,
    clamp: Annotated[Optional[bool], field_option(RunConfig, "clamp", "--clamp/--no-clamp")] = None,
    eps: Annotated[Optional[float], field_option(RunConfig, "eps")] = None,
    eps_norm: Annotated[Optional[str], field_option(RunConfig, "eps_norm")] = None,
    l2: Annotated[Optional[float], field_option(RunConfig, "l2")] = None,
    l1: Annotated[Optional[float], field_option(RunConfig, "l1")] = None,
    tv: Annotated[Optional[float], field_option(RunConfig, "tv")] = None,
    proximity: Annotated[Optional[float], field_option(RunConfig, "proximity")] = None,
    diversity: Annotated[Optional[float], field_option(RunConfig, "diversity")] = None,
    blur_every: Annotated[Optional[int], field_option(RunConfig, "blur_every")] = None,
    blur_sigma: Annotated[Optional[float], field_option(RunConfig, "blur_sigma")] = None,
    jitter: Annotated[Optional[int], field_option(RunConfig, "jitter")] = None,
    threshold: Annotated[Optional[float], field_option(RunConfig, "threshold")] = None,
    early_stop: Annotated[Optional[bool], field_option(RunConfig, "early_stop", "--early-stop/--no-early-stop")] = None,
    stop_each: Annotated[Optional[bool], field_option(RunConfig, "stop_each", "--stop-each/--no-stop-each")] = None,
    restart_every: Annotated[Optional[int], field_option(RunConfig, "restart_every")] = None,
    keep: Annotated[Optional[str], field_option(RunConfig, "keep")] = None,
    log_every: Annotated[Optional[int], field_option(RunConfig, "log_every")] = None,
    snapshot_every: Annotated[Optional[int], field_option(RunConfig, "snapshot_every")] = None,
    device: Annotated[Optional[str], field_option(RunConfig, "device")] = None,
    judge: Annotated[Optional[bool], field_option(RunConfig, "judge", "--judge/--no-judge")] = None,
    tensorboard: TensorBoardFlag = False,
    tensorboard_dir: TensorBoardDir = None,
    out: OutFolder = None,
    resume: ResumeFolder = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Guide images toward the target class and save the run."""
    with UserErrors(verbose):
        changes = dict(
            tensorboard=tensorboard_folder(tensorboard, tensorboard_dir), dataset=dataset, target=target,
            experiment=experiment, model=model, start=start, batch=batch, seed=seed,
            loss=loss, steps=steps, step=step, lr=lr, noise=noise, schedule=schedule, space=space, param=param,
            param_sigma=param_sigma, param_factor=param_factor, clamp=clamp, eps=eps, eps_norm=eps_norm, l2=l2, l1=l1,
            tv=tv, proximity=proximity, diversity=diversity, blur_every=blur_every, blur_sigma=blur_sigma, jitter=jitter,
            threshold=threshold, early_stop=early_stop, stop_each=stop_each, restart_every=restart_every, keep=keep, log_every=log_every, snapshot_every=snapshot_every,
            device=device, judge=judge,
        )
        shell = console()
        outcome = run_or_resume("run", changes, config_file, out, resume, data, trust_pickle, shell)
        report_run(shell, outcome)


def report_run(shell, outcome: Any) -> None:
    """The run's table, its first images (start and final) in the terminal, and where it was saved."""
    from guidance.runs.render import frames_per_row, image_row, run_table

    summary, folder = outcome.summary, outcome.folder
    shell.print(run_table(summary))
    shown = max(1, min(4, len(summary["images"]), frames_per_row(shell.width) // 2))  # a start and a final each
    images = outcome.result
    pictures, captions = [], []
    for i in range(shown):
        pictures += [images.start[i, 0].numpy(), images.final[i, 0].numpy()]
        captions += [f"#{i} start", f"#{i} final p={summary['images'][i]['p_target']:.3f}"]
    shell.print(image_row(pictures, captions))
    shell.print(f"saved to {folder}", soft_wrap=True)  # a path stays one string to copy
    if summary["config"]["model"] == DEFAULT_MODEL and summary["status"] != "nan":
        shell.print("[dim]the adversarial flip instead: add --model standard (a plain CNN), or replay the "
                    "write-up with --config experiments/blog-flip.toml[/]")
    exit_if_stopped(summary, folder)
