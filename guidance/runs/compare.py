"""Compare experiments side by side: run what has not run yet, on the same starts and seeds.

Sources are experiment configs (.toml) or existing run folders, mixed. Every config
is run with one batch size and seed, so configs with the same start spec begin from
the very same images. The comparison folder holds compare.csv / compare.json (one row
per run), snapshots.png (a row per run, a column per step) and curves.png, plus
runs/ with the run folders it made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from guidance.configs import ExperimentConfig, load_experiment
from guidance.core.datasets import DEFAULT_DATASET, check_same_dataset, get_dataset, target_name
from guidance.core.errors import ConfigError
from guidance.runs.browse import RunRecord, read_run
from guidance.runs.folders import new_output_folder, slug

SHOWCASE = ["blog-flip", "noise-l1", "generate-noise", "generate-from-2", "diffuse-free", "diffuse-standard",
            "diffuse-robust", "diffuse-noisy"]
SHOWCASE_SNEAKER = ["flip-sandal", "generate-sneaker", "diffuse-sneaker"]  # Fashion-MNIST: results/showcase/sneaker
EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "experiments"


@dataclass
class Source:
    """One thing to compare: a config still to run, or a run folder already made."""

    label: str  # what the user passed
    config: ExperimentConfig | None = None
    record: RunRecord | None = None

    @property
    def target(self) -> str:
        """The data set and class it guides toward: 'mnist 8', 'fashion-mnist sneaker'."""
        config = self.config.to_dict() if self.config else self.record.config
        return f"{config.get('dataset', DEFAULT_DATASET)} {target_name(config)}"


@dataclass
class Comparison:
    folder: Path
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def read_sources(paths: list[str | Path], dataset: str | None = None) -> list[Source]:
    """Configs and run folders, checked before anything runs; with a `dataset`, every config runs on it
    and a run folder made on another is refused."""
    if not paths:
        raise ConfigError("nothing to compare: give experiment configs (.toml) or run folders")
    sources = []
    for path in map(Path, paths):
        if path.is_dir():
            record = read_run(path)
            check_same_dataset(record.config.get("dataset", DEFAULT_DATASET), dataset, f"run folder {path}")
            sources.append(Source(str(path), record=record))
        elif path.suffix == ".toml" or not path.exists():
            sources.append(Source(str(path), config=load_experiment(path).override(dataset=dataset)))
        else:
            raise ConfigError(f"{path} is neither an experiment config (.toml) nor a run folder")
    targets = {source.target for source in sources}
    if len(targets) > 1:
        listing = ", ".join(f"{source.label} -> {source.target}" for source in sources)
        raise ConfigError(
            f"cannot compare runs toward different targets ({listing}): p(target) and the verdicts "
            "would mean different things; compare one target at a time"
        )
    return sources


def unique_name(name: str, taken: set[str]) -> str:
    candidate, n = slug(name), 1
    while candidate in taken:
        n += 1
        candidate = f"{slug(name)}-{n}"
    return candidate


def draw_comparison(folder: Path, records: list[RunRecord], image: int = 0, rows: list[dict] = ()) -> None:
    """snapshots.png and curves.png for runs that saved images and a log; scales.png when
    diffusion runs at two or more guidance scales are among them (the scale sweep)."""
    from guidance.runs.figures import comparison_curves, comparison_snapshots, scale_sweep
    from guidance.runs.tables import scale_sweep_rows

    swept = scale_sweep_rows(list(rows))
    if swept:
        scale_sweep(folder / "scales.png", swept)

    planned = {r.name: r.config.get("sampling_steps") or r.config.get("steps") or 0 for r in records}
    percent = len(set(planned.values())) > 1 and 0 not in planned.values()  # 500 loop steps beside 50 sampling steps
    entries = []
    for record in records:
        arrays = record.images()
        if arrays is None:
            continue
        steps = arrays["steps"]
        if percent:  # columns by % of each run's planned length
            steps = np.round(100 * steps / planned[record.name]).astype(int)
        # a diffusion run's predicted clean images show the digit forming; its x_t frames are mostly noise
        entries.append((record.name, arrays.get("predicted", arrays["frames"]), steps))
    if entries:
        comparison_snapshots(folder / "snapshots.png", entries, image, percent=percent)
    logged = [(r.name, r.log) for r in records if r.log]
    if logged:
        comparison_curves(folder / "curves.png", logged)


def showcase_configs(names: list[str] = SHOWCASE) -> list[Path]:
    """The showcase experiments (MNIST's, or SHOWCASE_SNEAKER), from the repository's experiments/ folder."""
    paths = [EXPERIMENTS_DIR / f"{name}.toml" for name in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"the showcase needs the repository's experiment configs; missing: {', '.join(missing)}")
    return paths



def compare_runs(
    paths: list[str | Path], out: str | Path | None = None, batch: int | None = None, seed: int | None = None,
    sort: str | None = None, data_dir: str | Path | None = None, trust_pickle: bool = False, console=None,
    dataset: str | None = None, tensorboard: str | Path | None = None,
) -> Comparison:
    """Run the configs that have not run, then tabulate and draw every run side by side.

    Sources are experiment configs (.toml) or run folders, mixed. With a `dataset`, every
    config runs on it and a run folder of another data set is refused. The runs share one
    workspace: each data set, model and judge is loaded once. With `tensorboard`, each run is
    logged there too, as ``<tensorboard>/<comparison folder>/<run>``.
    """
    from guidance.resolve import Workspace, resolve
    from guidance.runs.browse import record_row
    from guidance.runs.execute import execute
    from guidance.runs.tables import sort_rows, write_rows

    if dataset is not None:
        get_dataset(dataset)
    sources = read_sources(paths, dataset)
    sort_rows([], sort)  # an unknown --sort column fails now, not after the runs
    first = next((s.config for s in sources if s.config), None)
    batch = batch or (first.batch if first else None)
    seed = seed if seed is not None else (first.seed if first else None)
    notes: list[str] = []
    if tensorboard is not None:
        from guidance.core.paths import check_tensorboard_dir

        check_tensorboard_dir(tensorboard)
    folder = new_output_folder(out, "compare", "comparisons")
    board = None if tensorboard is None else str(Path(tensorboard) / folder.name)
    workspace = Workspace(data_dir, console, trust_pickle)
    records, names = [], set()
    for source in sources:
        if source.record is not None:
            record = source.record
            ran = (record.config.get("batch"), record.config.get("seed"))
            if first and ran != (batch, seed):
                notes.append(f"{source.label} ran with batch {ran[0]}, seed {ran[1]} (the configs here use "
                             f"batch {batch}, seed {seed}): its noise starts differ")
        else:
            config = source.config.override(batch=batch, seed=seed, tensorboard=board)
            name = unique_name(config.experiment, names)
            names.add(name)
            if console is not None:
                console.rule(f"{name}  ({source.label})")
            execute(resolve(config, workspace), out=folder / "runs" / name)
            record = read_run(folder / "runs" / name)
        records.append(record)
    rows = [record_row(record, folder) | {"source": source.label} for record, source in zip(records, sources)]
    rows = sort_rows(rows, sort)
    write_rows(folder, "compare", rows)
    draw_comparison(folder, records, rows=rows)
    if notes:
        (folder / "notes.txt").write_text("\n".join(notes) + "\n")
    return Comparison(folder, rows, notes)
