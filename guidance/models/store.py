"""The model store: model folders on disk, saved atomically and loaded without unpickling.

A model folder holds ``weights.safetensors`` (loaded as tensors, never
unpickled) and ``metrics.json`` (architecture, target, class order, input
normalisation, data fingerprint, test metrics, versions). The store knows
nothing of training: ``guidance.training.presets`` trains what is missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from guidance.config import TrainConfig
from guidance.errors import ModelError
from guidance.models.guided import GuidedModel, build_model
from guidance.paths import cache_dir

MODEL_FORMAT = "guide-model/1"

def save_model(model: GuidedModel, folder: str | Path) -> Path:
    """Write weights + metrics.json atomically: a crash leaves no half-written folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ModelError(f"model folder {folder} already exists and is not empty")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.net.state_dict().items()}
        save_file(state, staging / "weights.safetensors")
        (staging / "metrics.json").write_text(json.dumps(model.info, indent=2) + "\n")
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def load_model(folder: str | Path, target: int | None = None) -> GuidedModel:
    """Load a model folder; refuse a missing, corrupt or other-target model."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"model folder not found: {folder}")
    try:
        info = json.loads((folder / "metrics.json").read_text())
        config = TrainConfig.from_dict(info["train_config"], source=str(folder / "metrics.json"))
    except FileNotFoundError:
        raise ModelError(f"{folder} is not a model folder: metrics.json is missing") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ModelError(f"{folder}/metrics.json is corrupt ({error})") from None
    if info.get("format") != MODEL_FORMAT:
        raise ModelError(f"{folder} was written by another version ({info.get('format')})")
    if info.get("target") is not None:
        check_model_target(info["target"], target, folder)
    model = build_model(config, info)
    try:
        model.net.load_state_dict(load_file(folder / "weights.safetensors"))
    except FileNotFoundError:
        raise ModelError(f"{folder}: weights.safetensors is missing") from None
    except (SafetensorError, RuntimeError, OSError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise ModelError(f"{folder}: weights are corrupt or do not fit ({first_line})") from None
    model.info["folder"] = str(folder)
    return model.eval()


def check_model_target(model_target: int, wanted: int | None, where: object) -> None:
    if wanted is not None and model_target != wanted:
        raise ModelError(
            f"{where} separates digit {model_target} from the rest, not {wanted}; "
            f"train one with `guide train --target {wanted}`"
        )


def is_model_folder(folder: Path) -> bool:
    """True once a model folder is complete (save_model renames it into place whole)."""
    return (folder / "metrics.json").is_file()


def cache_lock(folder: Path):
    """A lock file beside a cache entry: only one process trains and saves it at a time."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder.parent / f".{folder.name}.lock"))


def preset_folder(config: TrainConfig, data_fingerprint: str) -> Path:
    """Where the model cache keeps the model a training config makes from this data."""
    digest = hashlib.sha1((config.cache_key() + data_fingerprint).encode()).hexdigest()[:10]
    return cache_dir() / "models" / f"{config.arch}-t{config.target}-{digest}"
