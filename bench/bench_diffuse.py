"""The diffusion targets, measured side by side with the shipped denoiser and classifiers.

    python bench/bench_diffuse.py [--data DIR] [--batch 64]

1. `guide diffuse --batch 64` with its defaults, the CLI in a subprocess with a fresh cache
   (import, loading, sampling, verdicts, saving all counted): share `generated` toward 8,
   recall and coverage against their real-vs-real values, wall time.
   Targets: >= 95% generated; recall or coverage >= 0.8 x real-vs-real; <= 30 s on 2 cores.
2. `--guidance none`: the share judged a real digit, how many digits it makes, the share of 8s.
   Targets: >= 90% real digits, every digit, 8s near the data's 10%.
3. The same command twice: byte-identical images.npz.
4. Training time of the shipped denoiser and noise-aware classifier (from their metrics.json).
   Targets: <= 20 min and <= 5 min on 2 cores.
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

from rich.console import Console
from rich.table import Table


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("GUIDE_DATA"), help="full MNIST (else $GUIDE_DATA)")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    batch = ["--batch", str(args.batch)]
    console = Console()

    table = Table(title=f"guide diffuse, batch {args.batch}, fresh cache, CLI in a subprocess")
    for header in ("case", "measured", "target", "met"):
        table.add_column(header)
    with tempfile.TemporaryDirectory() as folder:
        seconds, summary, images = timed_diffuse(batch, args.data, Path(folder) / "a")
        _, _, again = timed_diffuse(batch, args.data, Path(folder) / "b")
    config, sets = summary["config"], summary["set_metrics"]
    share = summary["verdicts"]["generated"] / len(summary["images"])
    recall, coverage = sets["recall"] / sets["recall_real"], sets["coverage"] / sets["coverage_real"]
    setting = f"{config['guidance']} scale {config['scale']}, {config['sampler']} {config['sampling_steps']} steps"
    table.add_row(f"defaults ({setting}): generated", f"{share:.1%}", ">= 95%", _met(share >= 0.95))
    table.add_row("  recall / real-vs-real", f"{sets['recall']:.2f} / {sets['recall_real']:.2f} = {recall:.2f}", ">= 0.8 (either)",
                  _met(max(recall, coverage) >= 0.8))
    table.add_row("  coverage / real-vs-real", f"{sets['coverage']:.2f} / {sets['coverage_real']:.2f} = {coverage:.2f}", "", "")
    table.add_row("  precision (real-vs-real)", f"{sets['precision']:.2f} ({sets['precision_real']:.2f})", "", "")
    table.add_row("  FD (real-vs-real)", f"{sets['fd']:.1f} ({sets['fd_real']:.1f})", "", "")
    table.add_row("  wall time, whole command", f"{seconds:.1f} s (sampling {summary['wall_seconds']:.1f} s)", "<= 30 s",
                  _met(seconds <= 30))
    table.add_row("  same command twice", "byte-identical" if images == again else "DIFFERENT", "byte-identical",
                  _met(images == again))

    with tempfile.TemporaryDirectory() as folder:
        _, unguided, _ = timed_diffuse([*batch, "--guidance", "none"], args.data, Path(folder))
    census = unguided["census"]
    table.add_row("--guidance none: judged a real digit", f"{census['real_share']:.1%}", ">= 90%", _met(census["real_share"] >= 0.9))
    table.add_row("  digits made", f"{census['digits_made']} of 10", "10", _met(census["digits_made"] == 10))
    eights = census["share"].get("8", 0.0)
    table.add_row("  share of 8s", f"{eights:.1%} (data {census['data_share']['8']:.1%})", "near 10%",
                  _met(abs(eights - census["data_share"]["8"]) <= 0.08))

    shipped = Path(__file__).resolve().parents[1] / "guidance" / "models" / "shipped"
    for name, limit in (("denoiser", 20 * 60), ("noisy", 5 * 60)):
        info = json.loads((shipped / name / "metrics.json").read_text())
        table.add_row(f"training, shipped {name}", f"{info['train_seconds'] / 60:.1f} min", f"<= {limit // 60} min",
                      _met(info["train_seconds"] <= limit))
    console.print(table)


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    main()
