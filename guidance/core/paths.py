"""Where the kit keeps things: the per-user cache and the ad-hoc runs folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Per-user cache (models, downloaded data): $GUIDE_HOME, else $XDG_CACHE_HOME/guide."""
    if os.environ.get("GUIDE_HOME"):
        return Path(os.environ["GUIDE_HOME"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "guide"


def runs_dir() -> Path:
    """Where runs without --out go: $GUIDE_RUNS, else ./results/runs (ignored by git)."""
    return Path(os.environ.get("GUIDE_RUNS") or Path("results") / "runs")
