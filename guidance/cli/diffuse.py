"""`guide diffuse`: sample digits from pure noise with the denoiser, guided by the kit's classifiers."""

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
from guidance.configs import DiffuseConfig


def diffuse(
    config_file: ConfigFile = None,
    guidance: Annotated[Optional[str], field_option(DiffuseConfig, "guidance")] = None,
    scale: Annotated[Optional[float], field_option(DiffuseConfig, "scale")] = None,
    model: Annotated[Optional[str], field_option(DiffuseConfig, "model")] = None,
    trust_pickle: TrustPickle = False,
    denoiser: Annotated[Optional[str], field_option(DiffuseConfig, "denoiser")] = None,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    negative: Annotated[Optional[str], field_option(DiffuseConfig, "negative")] = None,
    start: Annotated[Optional[str], field_option(DiffuseConfig, "start")] = None,
    strength: Annotated[Optional[float], field_option(DiffuseConfig, "strength")] = None,
    sampler: Annotated[Optional[str], field_option(DiffuseConfig, "sampler")] = None,
    sampling_steps: Annotated[Optional[int], field_option(DiffuseConfig, "sampling_steps")] = None,
    batch: Annotated[Optional[int], field_option(DiffuseConfig, "batch")] = None,
    seed: Annotated[Optional[int], field_option(DiffuseConfig, "seed")] = None,
    snapshot_every: Annotated[Optional[int], field_option(DiffuseConfig, "snapshot_every")] = None,
    threshold: Annotated[Optional[float], field_option(DiffuseConfig, "threshold")] = None,
    device: Annotated[Optional[str], field_option(DiffuseConfig, "device")] = None,
    judge: Annotated[Optional[bool], field_option(DiffuseConfig, "judge", "--judge/--no-judge")] = None,
    experiment: Annotated[Optional[str], field_option(DiffuseConfig, "experiment")] = None,
    tensorboard: TensorBoardFlag = False,
    tensorboard_dir: TensorBoardDir = None,
    out: OutFolder = None,
    resume: ResumeFolder = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Sample digits from pure noise with the denoiser, steered toward the target; save the run."""
    with UserErrors(verbose):
        changes = dict(
            tensorboard=tensorboard_folder(tensorboard, tensorboard_dir), dataset=dataset, target=target,
            negative=negative, start=start, strength=strength, guidance=guidance, scale=scale, model=model, denoiser=denoiser,
            sampler=sampler, sampling_steps=sampling_steps, batch=batch, seed=seed, snapshot_every=snapshot_every,
            threshold=threshold, device=device, judge=judge, experiment=experiment,
        )
        shell = console()
        outcome = run_or_resume("diffuse", changes, config_file, out, resume, data, trust_pickle, shell)
        report_diffusion(shell, outcome)


def report_diffusion(shell, outcome: Any) -> None:
    from guidance.runs.render import frames_per_row, image_row, run_table

    summary, folder = outcome.summary, outcome.folder
    shell.print(run_table(summary))
    census = summary.get("census")
    if census:
        made = ", ".join(f"{name}: {census['counts'].get(name, 0)}" for name in census["data_share"])
        shell.print(f"unguided census: {census['real_share']:.0%} judged a real example of its class; "
                    f"{census['digits_made']} of {len(census['data_share'])} classes made ({made}; none: {census['counts'].get('none', 0)})")
    shown = min(8, len(summary["images"]), frames_per_row(shell.width))
    result = outcome.result
    pictures = [result.final[i, 0].numpy() for i in range(shown)]
    captions = [f"#{i} p={summary['images'][i]['p_target']:.2f}" for i in range(shown)]
    shell.print(image_row(pictures, captions))
    shell.print(f"saved to {folder}", soft_wrap=True)  # a path stays one string to copy
    exit_if_stopped(summary, folder, "sampling step")
