"""Guided models: the pixel-space wrapper, model folders, fastai learner import.

A model folder holds ``weights.safetensors`` (loaded as tensors, never
unpickled) and ``metrics.json`` (architecture, target, class order, input
normalisation, data fingerprint, test metrics, versions).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import nn

from guidance.config import MODEL_PRESETS, TrainConfig
from guidance.errors import ModelError
from guidance.paths import cache_dir

if TYPE_CHECKING:
    from guidance.data import MnistData

MODEL_FORMAT = "guide-model/1"
NORMALIZATION = {  # name -> (mean, std) per channel of the network's input
    "mnist": ((0.1307,), (0.3081,)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "none": ((0.0,), (1.0,)),
}


class GuidedModel(nn.Module):
    """A classifier seen from pixel space: (B, 1, H, W) pixels in [0, 1] -> logits.

    The network's own input convention (channels, mean/std) is applied inside
    ``forward``, so the guidance loop always works on plain greyscale pixels.
    """

    def __init__(
        self, net: nn.Module, channels: int, mean: tuple[float, ...], std: tuple[float, ...],
        class_names: list[str], target_index: int, info: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.net = net
        self.channels = channels
        self.register_buffer("mean", _per_channel(mean, channels))
        self.register_buffer("std", _per_channel(std, channels))
        self.class_names = list(class_names)
        self.target_index = target_index  # which output is the target class
        self.info = info or {}  # metrics.json contents: where the model came from

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Greyscale pixels (B, 1, H, W) -> the network's input (B, C, H, W)."""
        return (pixels.expand(-1, self.channels, -1, -1) - self.mean) / self.std

    def denormalize(self, inputs: torch.Tensor) -> torch.Tensor:
        """The network's input -> greyscale pixels (channel mean)."""
        return (inputs * self.std + self.mean).mean(dim=1, keepdim=True)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(pixels))

    @property
    def name(self) -> str:
        return self.info.get("name", "model")


def _per_channel(values: tuple[float, ...], channels: int) -> torch.Tensor:
    tensor = torch.tensor(values, dtype=torch.float32)
    if tensor.numel() == 1:
        tensor = tensor.repeat(channels)
    return tensor.view(1, channels, 1, 1)


def build_model(config: TrainConfig, info: dict[str, Any] | None = None) -> GuidedModel:
    """A fresh, randomly initialised model for a training config."""
    from guidance.architectures import create_network

    mean, std = NORMALIZATION[config.normalize]
    names = class_names(config)
    net = create_network(config.arch, config.channels, len(names))
    target_index = 0 if config.task == "binary" else config.target
    return GuidedModel(net, config.channels, mean, std, names, target_index, info)


def class_names(config: TrainConfig) -> list[str]:
    """Output order: ['8', 'not_8'] (fastai's sorted vocab) or the ten digits."""
    if config.task == "digits":
        return [str(digit) for digit in range(10)]
    return [str(config.target), f"not_{config.target}"]


# ---- model folders ---------------------------------------------------------


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


# ---- resolving what --model names -----------------------------------------


def resolve_model(
    spec: str, target: int, data: Callable[[], "MnistData"], trust_pickle: bool = False,
    on_train: Callable[[TrainConfig, Path], list] | None = None,
) -> GuidedModel:
    """Turn --model (a preset name, a model folder or a learner .pkl) into a loaded model.

    A preset missing from the cache is trained first; ``on_train(config, folder)``
    is called before that, so the caller can say so, and returns fastai callbacks.
    """
    if spec in MODEL_PRESETS:
        config = MODEL_PRESETS[spec].override(target=target)
        folder = preset_folder(config, data().fingerprint)
        if not (folder / "metrics.json").is_file():
            from guidance.training import train_classifier

            callbacks = on_train(config, folder) if on_train else []
            save_model(train_classifier(config, data(), callbacks=callbacks, name=spec), folder)
        return load_model(folder, target)
    path = Path(spec).expanduser()
    if path.suffix == ".pkl":
        from guidance.learner_import import load_fastai_learner

        return load_fastai_learner(path, target, trust_pickle)
    if path.is_dir():
        return load_model(path, target)
    raise ModelError(
        f"model '{spec}' is neither a preset ({', '.join(MODEL_PRESETS)}) "
        "nor an existing model folder or learner .pkl"
    )


def preset_folder(config: TrainConfig, data_fingerprint: str) -> Path:
    """Where the model cache keeps the model a training config makes from this data."""
    digest = hashlib.sha1((config.cache_key() + data_fingerprint).encode()).hexdigest()[:10]
    return cache_dir() / "models" / f"{config.arch}-t{config.target}-{digest}"
