"""The noise-aware classifier: "target vs rest" read from a noisy x_t, told how noisy it is.

Classifier guidance (Dhariwal & Nichol 2021) needs log p(target | x_t) at every noise level.
The network is one of the kit's classifiers with a second input channel, a constant
plane holding the noise level sqrt(1 - alpha_bar_t) of the denoiser's own schedule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from guidance.configs import NoisyClassifierConfig
from guidance.core.datasets import check_same_dataset, get_dataset
from guidance.diffusion.denoiser import noise_scheduler
from guidance.models.architectures import create_network
from guidance.models.store import check_model_target, load_weights, read_folder

NOISY_FORMAT = "guide-noisy-classifier/1"


class NoisyClassifier(nn.Module):
    """(x_t in [-1, 1], timesteps) -> logits over [target, not_target]."""

    def __init__(self, config: NoisyClassifierConfig, info: dict[str, Any] | None = None):
        super().__init__()
        self.net = create_network(config.arch, 2, 2)
        alphas = noise_scheduler(config.timesteps, config.schedule).alphas_cumprod.float()
        self.register_buffer("noise_level", (1 - alphas).sqrt(), persistent=False)
        self.config = config
        self.class_names = get_dataset(config.dataset).binary_names(config.target)
        self.target_index = 0
        self.info = info or {}

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        level = self.noise_level[timesteps.long().reshape(-1)].to(noisy.dtype)
        plane = level.view(-1, 1, 1, 1).expand(len(noisy), 1, *noisy.shape[-2:])
        return self.net(torch.cat([noisy, plane], dim=1))


def load_noisy_classifier(folder: str | Path, target: int | None = None, dataset: str | None = None) -> NoisyClassifier:
    """Load a noise-aware classifier folder; refuse a missing or corrupt one, or one for another data set or target."""
    folder = Path(folder)
    info, config = read_folder(folder, NOISY_FORMAT, NoisyClassifierConfig, "noise-aware classifier folder")
    check_same_dataset(config.dataset, dataset, f"noise-aware classifier {folder}")
    check_model_target(config.target, target, folder, config.dataset)
    classifier = NoisyClassifier(config, info)
    load_weights(classifier.net, folder)
    classifier.info["folder"] = str(folder)
    return classifier.eval()
