"""Models shipped inside the package, so the first command answers in seconds.

``guidance/models/shipped/<name>/`` holds ``weights.safetensors`` and ``metrics.json``, made
by the kit's own ``guide train`` on full MNIST (docs/models.md says how to remake them);
``shipped/fashion-mnist/<name>/`` the same on full Fashion-MNIST.
A shipped model stands in for a preset only when its training config is exactly the
preset's (same recipe, same target); a model the user trained into the cache wins over it.
"""

from __future__ import annotations

import json
from pathlib import Path

from guidance.configs import ConfigBase
from guidance.core.datasets import DEFAULT_DATASET
from guidance.core.errors import ConfigError

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


def shipped_folder(name: str, config: ConfigBase) -> Path | None:
    """The shipped model folder for preset `name` if it was trained with exactly `config`."""
    dataset = getattr(config, "dataset", DEFAULT_DATASET)
    folder = SHIPPED_DIR / name if dataset == DEFAULT_DATASET else SHIPPED_DIR / dataset / name
    try:
        info = json.loads((folder / "metrics.json").read_text())
        shipped_config = type(config).from_dict(info["train_config"], source=str(folder))
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ConfigError):
        return None
    return folder if shipped_config.cache_key() == config.cache_key() else None


def shipped_names() -> list[str]:
    """Names of the models the package ships."""
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "metrics.json").is_file()) if SHIPPED_DIR.is_dir() else []
