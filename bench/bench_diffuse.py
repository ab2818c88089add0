"""The diffusion targets, measured side by side with the shipped denoisers and classifiers, on both data sets.

    python bench/bench_diffuse.py [--data DIR] [--batch 64] [--dataset mnist|fashion-mnist|both] [--quick]

Per data set, the CLI in a subprocess with a fresh cache (import, loading, sampling, verdicts,
saving all counted):
1. The default guided command (MNIST: `guide diffuse`; Fashion-MNIST:
   experiments/diffuse-sneaker.toml): share `generated`, FD, recall and C2ST against their
   real-vs-real values, stray specks per image against real images, wall time, and the same
   command twice. Targets: >= 95% generated; FD <= 1.3x and recall >= 0.85x real-vs-real;
   C2ST close to real-vs-real; <= 30 s on 2 cores; byte-identical.
2. `--guidance none`: the share judged a real example of its class, the classes made, the
   smallest and largest class share. Targets: >= 90% real, every class, each 4%-20%.
3. The shipped denoisers: training time and size. Targets: <= 90 min on 2 cores, <= 20 MB in all.

`guide diffuse` and `--guidance none` run DiffuseConfig's defaults: the shipped denoiser
(denoiser='default'), from pure noise, sampler 'ddim' with sampling_steps=50, and (guided)
classifier-free guidance at scale 2.0; experiments/diffuse-sneaker.toml names the same ones. The
table prints the setting each guided run recorded.
--quick: MNIST only (unless --dataset), batch 10 (the fewest images set metrics take), 2 sampling
steps, one torch thread and a small copy of the data (bench/quick.py); the same subprocesses, fresh
caches and rows. Checks that the script runs and prints its table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from quick import quick_setup
from rich.console import Console
from rich.table import Table

from guidance.verdicts.metrics import MIN_IMAGES
from guidance.verdicts.realism import stray_specks

ROOT = Path(__file__).resolve().parents[1]
GUIDED = {"mnist": [], "fashion-mnist": ["--config", str(ROOT / "experiments" / "diffuse-sneaker.toml")]}


def timed_diffuse(options: list[str], data: str | None, folder: Path) -> tuple[float, dict, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GUIDE_HOME": str(folder / "home"), "GUIDE_OFFLINE": "1"}
    command = [sys.executable, "-m", "guidance", "diffuse", *options, "--out", str(folder / "run")]
    if data:
        command += ["--data", data]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=folder)
    seconds = time.perf_counter() - started
    return seconds, json.loads((folder / "run" / "summary.json").read_text()), (folder / "run" / "images.npz").read_bytes()


def specks(images: bytes, folder: Path) -> float:
    """Mean stray specks per final image of a run's images.npz."""
    (folder / "images.npz").write_bytes(images)
    return float(stray_specks(torch.from_numpy(np.load(folder / "images.npz")["final"])).float().mean())


def real_specks(dataset: str, data: str | None, target: int | None, count: int) -> float:
    from guidance.data.loading import load_data

    loaded = load_data(dataset, data)
    images = loaded.test_images if target is None else loaded.test_digits(target)
    return float(stray_specks(torch.from_numpy(images[:count].astype(np.float32) / 255)).float().mean())


def guided_rows(table: Table, dataset: str, sizes: list[str], data: str | None) -> None:
    options = [*GUIDED[dataset], *sizes]
    with tempfile.TemporaryDirectory() as folder:
        seconds, summary, images = timed_diffuse(options, data, Path(folder) / "a")
        _, _, again = timed_diffuse(options, data, Path(folder) / "b")
        speckle = specks(images, Path(folder))
    config, sets = summary["config"], summary["set_metrics"]
    share = summary["verdicts"]["generated"] / len(summary["images"])
    fd, recall = sets["fd"] / sets["fd_real"], sets["recall"] / sets["recall_real"]
    setting = f"{config['guidance']} scale {config['scale']}, {config['sampler']} {config['sampling_steps']} steps"
    table.add_row(f"{dataset} guided ({setting}): generated", f"{share:.1%}", ">= 95%", _met(share >= 0.95))
    table.add_row("  FD / real-vs-real", f"{sets['fd']:.1f} / {sets['fd_real']:.1f} = {fd:.2f}", "<= 1.3", _met(fd <= 1.3))
    table.add_row("  recall / real-vs-real", f"{sets['recall']:.2f} / {sets['recall_real']:.2f} = {recall:.2f}",
                  ">= 0.85", _met(recall >= 0.85))
    table.add_row("  C2ST (real-vs-real)", f"{sets['c2st']:.2f} ({sets['c2st_real']:.2f})", "close", "")
    table.add_row("  coverage, precision (real-vs-real)",
                  f"{sets['coverage']:.2f} ({sets['coverage_real']:.2f}), {sets['precision']:.2f} ({sets['precision_real']:.2f})", "", "")
    real = real_specks(dataset, data, config["target"], len(summary["images"]))
    table.add_row("  stray specks per image (real)", f"{speckle:.2f} ({real:.2f})", "", "")
    table.add_row("  wall time, whole command", f"{seconds:.1f} s (sampling {summary['wall_seconds']:.1f} s)", "<= 30 s",
                  _met(seconds <= 30))
    table.add_row("  same command twice", "byte-identical" if images == again else "DIFFERENT", "byte-identical",
                  _met(images == again))


def unguided_rows(table: Table, dataset: str, sizes: list[str], data: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _, unguided, images = timed_diffuse([*sizes, "--guidance", "none", "--dataset", dataset], data, Path(folder))
        speckle = specks(images, Path(folder))
    census = unguided["census"]
    shares = [census["share"].get(name, 0.0) for name in census["data_share"]]
    table.add_row(f"{dataset} --guidance none: judged a real example", f"{census['real_share']:.1%}", ">= 90%",
                  _met(census["real_share"] >= 0.9))
    table.add_row("  classes made", f"{census['digits_made']} of {len(shares)}", f"{len(shares)}",
                  _met(census["digits_made"] == len(shares)))
    table.add_row("  smallest, largest class share", f"{min(shares):.1%}, {max(shares):.1%}", "4%-20%",
                  _met(min(shares) >= 0.04 and max(shares) <= 0.2))
    real = real_specks(dataset, data, None, len(unguided["images"]))
    table.add_row("  stray specks per image (real)", f"{speckle:.2f} ({real:.2f})", "", "")


def shipped_rows(table: Table) -> None:
    shipped = ROOT / "guidance" / "models" / "shipped"
    folders = {"mnist": shipped / "denoiser", "fashion-mnist": shipped / "fashion-mnist" / "denoiser"}
    for dataset, folder in folders.items():
        info = json.loads((folder / "metrics.json").read_text())
        table.add_row(f"training, shipped {dataset} denoiser", f"{info['train_seconds'] / 60:.1f} min", "<= 90 min",
                      _met(info["train_seconds"] <= 90 * 60))
    size = sum((folder / "weights.safetensors").stat().st_size for folder in folders.values()) / 2**20
    table.add_row("size, both shipped denoisers", f"{size:.1f} MB", "<= 20 MB", _met(size <= 20))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("GUIDE_DATA"), help="full data sets (else $GUIDE_DATA)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--dataset", default=None, choices=["mnist", "fashion-mnist", "both"], help="default: both")
    parser.add_argument("--quick", action="store_true", help="MNIST, batch 10, 2 sampling steps, small data (CI)")
    args = parser.parse_args(argv)
    sizes = ["--batch", str(args.batch)]
    if args.quick:
        args.batch, args.data = MIN_IMAGES, quick_setup(args.data)
        sizes = ["--batch", str(args.batch), "--sampling-steps", "2"]
    chosen = args.dataset or ("mnist" if args.quick else "both")
    table = Table(title=f"guide diffuse, batch {args.batch}, fresh cache, CLI in a subprocess")
    for header in ("case", "measured", "target", "met"):
        table.add_column(header)
    for dataset in (["mnist", "fashion-mnist"] if chosen == "both" else [chosen]):
        guided_rows(table, dataset, sizes, args.data)
        unguided_rows(table, dataset, sizes, args.data)
    shipped_rows(table)
    Console().print(table)


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    main()
