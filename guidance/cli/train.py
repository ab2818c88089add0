"""`guide train`: a classifier, the judge's or the critic's recipe, or a diffusion model, cached by its config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from guidance.cli.options import DataDir, DatasetOption, TargetOption, UserErrors, Verbose, console, fail, field_option
from guidance.configs import DIFFUSION_PRESETS, MODEL_PRESETS, VERDICT_PRESETS, TrainConfig
from guidance.core.datasets import DEFAULT_DATASET
from guidance.core.registry import did_you_mean


def train(
    preset: Annotated[str, typer.Option(help=f"Training recipe to start from: {', '.join(MODEL_PRESETS)}; {' / '.join(DIFFUSION_PRESETS)} for guide diffuse; {' / '.join(VERDICT_PRESETS)} for the verdicts.")] = "standard",
    arch: Annotated[Optional[str], field_option(TrainConfig, "arch")] = None,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    epochs: Annotated[Optional[int], field_option(TrainConfig, "epochs")] = None,
    lr: Annotated[Optional[float], field_option(TrainConfig, "lr")] = None,
    batch_size: Annotated[Optional[int], field_option(TrainConfig, "batch_size")] = None,
    seed: Annotated[Optional[int], field_option(TrainConfig, "seed")] = None,
    train_limit: Annotated[Optional[int], field_option(TrainConfig, "train_limit")] = None,
    robust: Annotated[bool, typer.Option("--robust", help="Adversarial training: the 'robust' preset (L2 PGD, eps 3.0, 5 steps, 5 epochs).")] = False,
    norm: Annotated[Optional[str], field_option(TrainConfig, "robust", "--norm")] = None,
    pgd_eps: Annotated[Optional[float], field_option(TrainConfig, "robust_eps", "--pgd-eps")] = None,
    pgd_steps: Annotated[Optional[int], field_option(TrainConfig, "robust_steps", "--pgd-steps")] = None,
    pgd_step_size: Annotated[Optional[float], field_option(TrainConfig, "robust_step_size", "--pgd-step-size")] = None,
    noise_std: Annotated[Optional[float], field_option(TrainConfig, "noise_std")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Model folder to write; default: the per-user model cache.")] = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Train a "target vs rest" classifier with fastai; cached by its config."""
    with UserErrors(verbose):
        if preset in DIFFUSION_PRESETS:
            _train_diffusion(preset, dataset, target, epochs, lr, batch_size, seed, train_limit, out, data)
            return
        if preset not in MODEL_PRESETS and preset not in VERDICT_PRESETS:
            names = [*MODEL_PRESETS, *DIFFUSION_PRESETS, *VERDICT_PRESETS]
            fail(f"unknown preset '{preset}'{did_you_mean(preset, names)}; choose from: {', '.join(names)}")
        if robust and preset == "standard":
            preset = "robust"
        if preset in VERDICT_PRESETS and target is not None:
            fail(f"the {preset} learns every class; --target is for the guided models")
        recipe = VERDICT_PRESETS[preset](dataset or DEFAULT_DATASET) if preset in VERDICT_PRESETS else MODEL_PRESETS[preset]
        config = recipe.override(
            arch=arch, dataset=dataset, target=target, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, train_limit=train_limit,
            robust=norm, robust_eps=pgd_eps, robust_steps=pgd_steps, robust_step_size=pgd_step_size, noise_std=noise_std,
        )
        if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
            fail(f"--out {out} already exists and is not empty; models are never overwritten")
        from guidance.api import train_model

        shell = console()
        model, folder, reused = train_model(config, out=out, data_dir=data, console=shell, name=preset)
        from guidance.runs.render import train_table

        if reused:
            shell.print(f"already trained with this config: reusing {folder}", soft_wrap=True)  # a path stays one string to copy
        shell.print(train_table(model.info, str(folder)))


def _train_diffusion(preset, dataset, target, epochs, lr, batch_size, seed, train_limit, out, data) -> None:
    """guide train --preset denoiser | noisy: the diffusion models (see guide diffuse)."""
    from guidance.configs import DenoiserConfig, NoisyClassifierConfig

    if preset == "denoiser" and target is not None:
        fail("the denoiser learns every class; --target is for the noise-aware classifier (--preset noisy)")
    base = DenoiserConfig() if preset == "denoiser" else NoisyClassifierConfig()
    config = base.override(dataset=dataset, target=target, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, train_limit=train_limit)
    from guidance.api import train_diffusion
    from guidance.runs.render import diffusion_train_table

    shell = console()
    info, folder, reused = train_diffusion(config, out=out, data_dir=data, console=shell)
    if reused:
        shell.print(f"already trained with this config: reusing {folder}", soft_wrap=True)  # a path stays one string to copy
    shell.print(diffusion_train_table(info, str(folder)))
