"""The guided model: a classifier seen from pixel space, whatever its own input convention."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from guidance.configs import TrainConfig
from guidance.core.datasets import get_dataset

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
    from guidance.models.architectures import create_network

    mean, std = NORMALIZATION[config.normalize]
    names = class_names(config)
    net = create_network(config.arch, config.channels, len(names))
    target_index = {"binary": 0, "digits": config.target, "realism": 1}[config.task]  # the critic's: 'artificial'
    return GuidedModel(net, config.channels, mean, std, names, target_index, info)


def class_names(config: TrainConfig) -> list[str]:
    """Output order: ['8', 'not_8'] (fastai's sorted vocab), the ten classes (and 'none' for a judge), or the critic's two."""
    dataset = get_dataset(config.dataset)
    if config.task == "realism":
        return ["real", "artificial"]
    if config.task == "digits":
        return list(dataset.classes) + (["none"] if config.junk_fraction else [])
    return dataset.binary_names(config.target)
