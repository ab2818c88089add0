"""The diffusion page's before/after figures and the speckle table, remade from the kit's own runs.

    python bench/figures_diffusion.py --old-denoiser DIR [--data DIR] [--out results/diffusion] [--quick]

1. Where the background speckle comes from: the default command (DiffuseConfig's defaults:
   classifier-free guidance at scale 2.0, sampler 'ddim' with sampling_steps=50, pure noise;
   seeds 0-63) on the old denoiser (DIR: a denoiser folder, e.g. the 16-32-32 one from git
   history) and the shipped one, with stray specks per image counted in the predicted clean image
   x0_hat at 60%, 80% and 90% of the steps (30, 40, 45), in the final image, without DDIM's
   clipping, and with DPM-Solver++ (which does not clip). Writes OUT/speckle.png (16 samples of
   each, specks circled).
2. The write-up's "2 toward 8" three ways, on the same eight test 2s: the loop with the standard
   CNN (the flip: pixels, ce, <= 100 steps, each image pushed on until all flip, stop_each=False
   as when the figure was drawn), the loop with the robust CNN (experiments/generate-from-2.toml),
   and the denoiser from each 2 at strengths 0.6, 0.7 and 0.8 (experiments/diffuse-from-2.toml).
   Writes OUT/from-2.png with each image's verdict.
--quick: the shipped denoiser as the old one too (unless --old-denoiser), 4 samples of 10 sampling
steps, then 2 test 2s with 3 loop steps and 4 sampling steps, one torch thread and a small copy of
the data (bench/quick.py); the pictures go into a temporary folder (removed at exit) unless --out is
given. Checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch
from quick import quick_setup, scratch_folder
from rich.console import Console
from rich.table import Table

from guidance.api import diffuse, run_experiment
from guidance.configs import DiffuseConfig, RunConfig
from guidance.resolve import Workspace
from guidance.verdicts.names import VERDICT_SHORT
from guidance.verdicts.realism import stray_specks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "diffusion"
SHIPPED_DENOISER = ROOT / "guidance" / "models" / "shipped" / "denoiser"


def specks(images: torch.Tensor) -> float:
    return float(stray_specks(images).float().mean())


def speckle(old: Path, workspace: Workspace, scratch: Path, out: Path, quick: bool) -> dict[str, np.ndarray]:
    """The speckle table (printed) and the default samples of both denoisers."""
    sizes = {"batch": 4, "sampling_steps": 10, "snapshot_every": 1} if quick else {"batch": 64, "snapshot_every": 5}
    base = DiffuseConfig(judge=False, **sizes)
    at = [round(share * base.sampling_steps) for share in (0.6, 0.8, 0.9)]  # 30, 40 and 45 of 50 steps
    table = Table(title=f"stray specks per image (visible blobs of <= 3 pixels), {base.batch} samples, "
                        f"seeds 0-{base.batch - 1}")
    for header in ("denoiser", f"x0_hat at step {at[0]}", *(f"step {s}" for s in at[1:]), "final", "final, no clipping",
                   "DPM-Solver++", "real test 8s"):
        table.add_column(header, justify="right")
    real = torch.from_numpy(workspace.data("mnist").test_digits(8)[:base.batch].astype(np.float32) / 255).unsqueeze(1)
    finals = {}
    for name, folder in (("before (16-32-32)", str(old)), ("after (shipped)", "default")):
        config = base.override(denoiser=folder)
        run = diffuse(config, out=scratch / name.split()[0], workspace=workspace).result
        steps = {s: i for i, s in enumerate(run.frame_steps)}
        unclipped = _sampled(config, workspace, clip=False)
        dpm = diffuse(config.override(sampler="dpm"), out=scratch / f"{name.split()[0]}-dpm", workspace=workspace).result
        table.add_row(name, *(f"{specks(run.predicted[steps[s]]):.2f}" for s in at), f"{specks(run.final):.2f}",
                      f"{specks(unclipped):.2f}", f"{specks(dpm.final):.2f}", f"{specks(real):.2f}")
        finals[name] = run.final[:16, 0].numpy()
    Console().print(table)
    _speckle_figure(finals, out / "speckle.png")
    return finals


def _sampled(config: DiffuseConfig, workspace: Workspace, clip: bool) -> torch.Tensor:
    """The same sampling with DDIM's x0 clipping switched off (everything else as the kit does it)."""
    from guidance.diffusion.sampling import make_sampler, sample
    from guidance.diffusion.steering import steered_noise

    denoiser = workspace.denoiser(config.denoiser, config.dataset)
    sampler = make_sampler("ddim", denoiser, config.sampling_steps)
    sampler = type(sampler).from_config(dict(sampler.config) | {"clip_sample": clip})
    sampler.set_timesteps(config.sampling_steps)
    alphas = sampler.alphas_cumprod.float()
    predict = steered_noise(config.guidance, denoiser, config.scale, config.target, alphas)
    uniform = lambda pixels: torch.full((len(pixels), 10), 0.1)  # noqa: E731  (no judge needed here)
    return sample(predict, sampler, alphas, config, uniform, [str(i) for i in range(10)], torch.device("cpu")).final


def _speckle_figure(finals: dict[str, np.ndarray], path: Path) -> None:
    from scipy import ndimage

    from guidance.runs.figures import _pyplot

    plt = _pyplot()
    columns = max(len(images) for images in finals.values())
    figure, axes = plt.subplots(len(finals), columns, figsize=(columns, 1.3 * len(finals) + 0.4), squeeze=False)
    for row, (name, images) in zip(axes, finals.items()):
        for axis, image in zip(row, images):
            axis.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axis.set_xticks([]), axis.set_yticks([])
            labels, found = ndimage.label(image > 0.1, structure=np.ones((3, 3)))
            sizes = np.bincount(labels.ravel())
            marked = [k for k in range(1, found + 1) if sizes[k] <= 3]
            for k in marked:
                y, x = np.argwhere(labels == k).mean(0)
                axis.add_patch(plt.Circle((x, y), 2.2, fill=False, color="red", linewidth=1))
            axis.set_title(str(len(marked)), fontsize=8, color="red" if marked else "black")
        row[0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    figure.suptitle(f"guide diffuse defaults, seeds 0-{columns - 1}: stray specks circled, their count above", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def from_two(workspace: Workspace, scratch: Path, out: Path, quick: bool) -> None:
    """The same eight 2s: the loop's flip, the robust loop's 8, and the denoiser at three strengths."""
    rows = []
    batch, loop, sampling = (2, {"steps": 3}, {"sampling_steps": 4}) if quick else (8, {}, {})
    flip = RunConfig(model="standard", param="pixel", start="digit:2", batch=batch, loss="ce", steps=100, early_stop=True,
                     stop_each=False).override(**loop)
    robust = RunConfig.from_toml(ROOT / "experiments" / "generate-from-2.toml").override(batch=batch, **loop)
    for label, config in (("loop, standard CNN (the flip)", flip), ("loop, robust CNN", robust)):
        outcome = run_experiment(config, out=scratch / label.split(",")[1].split()[0], workspace=workspace)
        rows.append((label, outcome.result.final, outcome.summary))
    base = DiffuseConfig.from_toml(ROOT / "experiments" / "diffuse-from-2.toml").override(batch=batch, **sampling)
    for strength in (0.6, 0.7, 0.8):
        outcome = diffuse(base.override(strength=strength), out=scratch / f"strength-{strength}", workspace=workspace)
        rows.append((f"denoiser, strength {strength}", outcome.result.final, outcome.summary))
    starts = outcome.result.start
    from guidance.runs.figures import _pyplot

    plt = _pyplot()
    figure, axes = plt.subplots(len(rows) + 1, batch, figsize=(9, 1.25 * (len(rows) + 1) + 0.3), squeeze=False)
    for axis, image in zip(axes[0], starts):
        axis.imshow(image[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0][0].set_ylabel("real test 2s", fontsize=8, rotation=0, ha="right", va="center")
    for row, (label, finals, summary) in zip(axes[1:], rows):
        for axis, image, record in zip(row, finals, summary["images"]):
            axis.imshow(image[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axis.set_title(f"{VERDICT_SHORT[record['verdict']]} p2={record.get('judge_p_start', 0):.2f}", fontsize=7)
        row[0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    for axis in axes.flat:
        axis.set_xticks([]), axis.set_yticks([])
    figure.suptitle("the write-up's 2 toward 8, three ways (verdict; the judge's p of 2)", fontsize=9)
    figure.tight_layout()
    figure.savefig(out / "from-2.png", dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-denoiser", type=Path, default=None, help="required, but for --quick")
    parser.add_argument("--data", default=os.environ.get("GUIDE_DATA"))
    parser.add_argument("--out", type=Path, default=None, help=f"default: {OUT.relative_to(ROOT)} (--quick: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="4 samples, few steps, small data, a temporary folder (CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.data = quick_setup(args.data)
        args.old_denoiser = args.old_denoiser or SHIPPED_DENOISER
        args.out = args.out or scratch_folder("figures-diffusion-")
    if args.old_denoiser is None:
        parser.error("--old-denoiser is required (a denoiser folder, e.g. the 16-32-32 one from git history)")
    import tempfile

    out = args.out or OUT
    out.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(args.data)
    with tempfile.TemporaryDirectory() as scratch:
        speckle(args.old_denoiser, workspace, Path(scratch), out, args.quick)
        from_two(workspace, Path(scratch), out, args.quick)
    print(f"wrote {out / 'speckle.png'} and {out / 'from-2.png'}")


if __name__ == "__main__":
    main()
