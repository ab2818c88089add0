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

from torch import nn

from guidance.configs.base import C, ConfigBase
from guidance.configs.train import TrainConfig
from guidance.core.datasets import DEFAULT_DATASET, check_same_dataset, get_dataset
from guidance.core.errors import ModelError
from guidance.core.paths import cache_dir
from guidance.models.guided import GuidedModel, build_model

MODEL_FORMAT = "guide-model/1"

def save_model(model: GuidedModel, folder: str | Path) -> Path:
    """Write weights + metrics.json atomically: a crash leaves no half-written folder."""
    return save_weights(model.net, model.info, folder)


def save_weights(net: nn.Module, info: dict, folder: str | Path) -> Path:
    """Write a network's weights.safetensors and `info` as metrics.json, atomically (any kind of model)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ModelError(f"model folder {folder} already exists and is not empty")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        save_file(state, staging / "weights.safetensors")
        (staging / "metrics.json").write_text(json.dumps(info, indent=2) + "\n")
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def load_model(folder: str | Path, target: int | None = None, dataset: str | None = None) -> GuidedModel:
    """Load a model folder; refuse a missing, corrupt, other-data-set or other-target model."""
    folder = Path(folder)
    info, config = read_folder(folder, MODEL_FORMAT, TrainConfig)
    check_same_dataset(config.dataset, dataset, f"model {folder}")
    if info.get("target") is not None:
        check_model_target(info["target"], target, folder, config.dataset)
    model = build_model(config, info)
    if config.task == "digits" and target is not None:  # a model of every class: guide toward the one asked for
        model.target_index = target
    load_weights(model.net, folder)
    model.info["folder"] = str(folder)
    return model.eval()


def read_info(folder: Path, model_format: str, what: str = "model folder") -> dict:
    """A model folder's metrics.json, refusing a missing folder, a corrupt file or another format."""
    if not folder.is_dir():
        raise ModelError(f"{what} not found: {folder}")
    try:
        info = json.loads((folder / "metrics.json").read_text())
    except FileNotFoundError:
        raise ModelError(f"{folder} is not a {what}: metrics.json is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelError(f"{folder}/metrics.json is corrupt ({error})") from None
    if not isinstance(info, dict) or info.get("format") != model_format:
        found = info.get("format") if isinstance(info, dict) else None
        raise ModelError(f"{folder} is not a {what} of this version (format {found!r}, expected {model_format!r})")
    return info


def read_folder(folder: Path, model_format: str, config_type: type[C], what: str = "model folder") -> tuple[dict, C]:
    """A model folder's metrics.json and the training config recorded in it, refusing what is not one."""
    info = read_info(folder, model_format, what)
    try:
        return info, config_type.from_dict(info["train_config"], source=str(folder / "metrics.json"))
    except (KeyError, TypeError) as error:
        raise ModelError(f"{folder}/metrics.json is corrupt ({error})") from None


def load_weights(net: nn.Module, folder: Path) -> None:
    """Load weights.safetensors into `net` (tensors only, never unpickled), refusing missing or misfit weights."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        net.load_state_dict(load_file(folder / "weights.safetensors"))
    except FileNotFoundError:
        raise ModelError(f"{folder}: weights.safetensors is missing") from None
    except (SafetensorError, RuntimeError, OSError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise ModelError(f"{folder}: weights are corrupt or do not fit ({first_line})") from None


def check_model_target(model_target: int, wanted: int | None, where: object, dataset: str = DEFAULT_DATASET) -> None:
    """Refuse a "target vs rest" model made for another class."""
    if wanted is not None and model_target != wanted:
        spec = get_dataset(dataset)
        option = "" if dataset == DEFAULT_DATASET else f" --dataset {dataset}"
        raise ModelError(
            f"{where} separates {spec.kind} '{spec.class_name(model_target)}' from the rest, not "
            f"'{spec.class_name(wanted)}'; train one with `guide train{option} --target {wanted}`"
        )


def is_model_folder(folder: Path) -> bool:
    """True once a model folder is complete (save_model renames it into place whole)."""
    return (folder / "metrics.json").is_file()


def cache_lock(folder: Path):
    """A lock file beside a cache entry: only one process trains and saves it at a time."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder.parent / f".{folder.name}.lock"))


def preset_folder(config: ConfigBase, data_fingerprint: str, prefix: str | None = None) -> Path:
    """Where the model cache keeps the model a training config makes from this data."""
    digest = hashlib.sha1((config.cache_key() + data_fingerprint).encode()).hexdigest()[:10]
    prefix = prefix or f"{config.arch}-{get_dataset(config.dataset).cache_tag(config.target)}"
    return cache_dir() / "models" / f"{prefix}-{digest}"
