"""`guide diffuse`: sample digits from pure noise with the denoiser, guided by the kit's classifiers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from guidance.cli_common import EXIT_INTERRUPTED, DataDir, DatasetOption, TargetOption, TrustPickle, UserErrors, Verbose, console, fail
from guidance.diffusion_config import GUIDANCE_KINDS, SAMPLERS, DiffuseConfig, load_experiment


def diffuse(
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Experiment TOML (experiments/diffuse-*.toml); options override it.")] = None,
    guidance: Annotated[Optional[str], typer.Option(help=f"{', '.join(GUIDANCE_KINDS)}: a classifier's gradient, classifier-free, or the denoiser alone.")] = None,
    scale: Annotated[Optional[float], typer.Option(help="Guidance scale s >= 0 (free: eps_u + s (eps_c - eps_u), so 1 = plain conditional).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Classifier for --guidance classifier: noisy (noise-aware), robust, standard, blog, a folder or a .pkl.")] = None,
    trust_pickle: TrustPickle = False,
    denoiser: Annotated[Optional[str], typer.Option(help="Denoiser: 'default' (the data set's own), a data set's name, or a denoiser folder.")] = None,
    dataset: DatasetOption = None,
    target: TargetOption = None,
    sampler: Annotated[Optional[str], typer.Option(help=f"{', '.join(SAMPLERS)}.")] = None,
    sampling_steps: Annotated[Optional[int], typer.Option(help="Denoising steps (at most the schedule's 1000).")] = None,
    batch: Annotated[Optional[int], typer.Option(help="Images sampled at once; image i starts from seed + i.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed of the start noise: same seed, same images.")] = None,
    snapshot_every: Annotated[Optional[int], typer.Option(help="Sampling steps between saved frames.")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Classifier guidance: the guiding classifier's p(target) from which it calls the image the target.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu or cuda.")] = None,
    judge: Annotated[Optional[bool], typer.Option("--judge/--no-judge", help="Give every image a verdict and the batch its set metrics.")] = None,
    experiment: Annotated[Optional[str], typer.Option(help="A name for the run folder and tables.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Run folder (must not exist or be empty); default results/runs/<time>-<experiment>.")] = None,
    data: DataDir = None,
    verbose: Verbose = False,
) -> None:
    """Sample digits from pure noise with the denoiser, steered toward the target; save the run."""
    options = {k: v for k, v in locals().items() if k in DiffuseConfig.__dataclass_fields__}
    with UserErrors(verbose):
        base = DiffuseConfig()
        if config_file:
            base = load_experiment(config_file)
            if not isinstance(base, DiffuseConfig):
                fail(f"{config_file} is a guide run config (it has no 'guidance' key); run it with guide run --config")
        config = base.override(**options)
        from guidance.api import diffuse as run_diffusion

        shell = console()
        outcome = run_diffusion(config, out=out, data_dir=data, trust_pickle=trust_pickle, console=shell)
        _report(shell, outcome)


def _report(shell, outcome: Any) -> None:
    from guidance.runs.render import image_row, run_table

    summary, folder = outcome.summary, outcome.folder
    shell.print(run_table(summary))
    census = summary.get("census")
    if census:
        made = ", ".join(f"{name}: {census['counts'].get(name, 0)}" for name in census["data_share"])
        shell.print(f"unguided census: {census['real_share']:.0%} judged a real example of its class; "
                    f"{census['digits_made']} of {len(census['data_share'])} classes made ({made}; none: {census['counts'].get('none', 0)})")
    shown = max(1, min(8, len(summary["images"]), shell.width // 30))  # a 28-pixel image is 28 characters wide
    result = outcome.result
    pictures = [result.final[i, 0].numpy() for i in range(shown)]
    captions = [f"#{i} p={summary['images'][i]['p_target']:.2f}" for i in range(shown)]
    shell.print(image_row(pictures, captions))
    shell.print(f"saved to {folder}")
    if summary["status"] == "interrupted":
        fail(f"interrupted at sampling step {summary['steps_done']}; kept what it made in {folder}", EXIT_INTERRUPTED)
    if summary["status"] == "nan":
        fail(f"{summary['message']}; the run stopped and kept what it made in {folder}")
