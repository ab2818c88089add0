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


TENSORBOARD_HINT = "--tensorboard needs TensorBoard: pip install 'guidance-kit[tensorboard]'"


def tensorboard_dir() -> Path:
    """Where --tensorboard writes without a folder: tensorboard/ in the runs folder (ignored by git)."""
    return runs_dir() / "tensorboard"


def check_tensorboard_dir(folder: str | Path) -> Path:
    """The TensorBoard log folder, refused at once if TensorBoard is missing or the folder cannot be written."""
    from guidance.core.errors import ConfigError

    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ConfigError(TENSORBOARD_HINT) from None
    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--tensorboard folder {path} is a file; give a folder")
    existing = next((p for p in [path, *path.parents] if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--tensorboard folder {path} cannot be written ({existing} is not writable)")
    return path


def runs_dir() -> Path:
    """Where runs without --out go: $GUIDE_RUNS, else ./results/runs (ignored by git)."""
    return Path(os.environ.get("GUIDE_RUNS") or Path("results") / "runs")
