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

from guidance.config import RunConfig
from guidance.errors import ConfigError
from guidance.runs.browse import RunRecord, read_run
from guidance.runs.folders import slug

SHOWCASE = ["blog-flip", "noise-l1", "generate-noise", "generate-from-2"]
EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "experiments"


@dataclass
class Source:
    """One thing to compare: a config still to run, or a run folder already made."""

    label: str  # what the user passed
    config: RunConfig | None = None
    record: RunRecord | None = None

    @property
    def target(self) -> int:
        return self.config.target if self.config else int(self.record.config.get("target", 8))


@dataclass
class Comparison:
    folder: Path
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def read_sources(paths: list[str | Path]) -> list[Source]:
    """Configs and run folders, checked before anything runs."""
    if not paths:
        raise ConfigError("nothing to compare: give experiment configs (.toml) or run folders")
    sources = []
    for path in map(Path, paths):
        if path.is_dir():
            sources.append(Source(str(path), record=read_run(path)))
        elif path.suffix == ".toml" or not path.exists():
            sources.append(Source(str(path), config=RunConfig.from_toml(path)))
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


def draw_comparison(folder: Path, records: list[RunRecord], image: int = 0) -> None:
    """snapshots.png and curves.png for runs that saved images and a log."""
    from guidance.runs.figures import comparison_curves, comparison_snapshots

    with_images = [(r.name, r.images()) for r in records]
    entries = [(name, arrays["frames"], arrays["steps"]) for name, arrays in with_images if arrays is not None]
    if entries:
        comparison_snapshots(folder / "snapshots.png", entries, image)
    logged = [(r.name, r.log) for r in records if r.log]
    if logged:
        comparison_curves(folder / "curves.png", logged)


def showcase_configs() -> list[Path]:
    """The four showcase experiments, from the repository's experiments/ folder."""
    paths = [EXPERIMENTS_DIR / f"{name}.toml" for name in SHOWCASE]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"the showcase needs the repository's experiment configs; missing: {', '.join(missing)}")
    return paths

