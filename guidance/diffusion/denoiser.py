"""The denoiser: diffusers' UNet2DModel predicting the noise in x_t, conditioned on the digit or on "none".

Images live in [-1, 1] inside the diffusion room (pixels * 2 - 1). Label 10 is "none":
training replaces the digit by it in ``label_dropout`` of the images, so the same network
gives the unconditional noise prediction eps(x_t, t) and the conditional eps(x_t, t, digit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from guidance.configs import DenoiserConfig
from guidance.core.datasets import check_same_dataset
from guidance.models.store import load_weights, read_folder

DENOISER_FORMAT = "guide-denoiser/1"
NONE_LABEL = 10  # the 11th class embedding: no digit asked for
IMAGE_SIZE = 28


class Denoiser(nn.Module):
    """eps(x_t, t, label): (B, 1, 28, 28) noisy images in [-1, 1] -> the noise they hold."""

    def __init__(self, config: DenoiserConfig, info: dict[str, Any] | None = None):
        super().__init__()
        from diffusers import UNet2DModel

        width, attention = config.width, config.attention
        self.unet = UNet2DModel(
            sample_size=IMAGE_SIZE, in_channels=1, out_channels=1, layers_per_block=1,
            block_out_channels=(width, 2 * width, 2 * width),  # 28 -> 14 -> 7 pixels
            down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D" if attention else "DownBlock2D"),
            up_block_types=("AttnUpBlock2D" if attention else "UpBlock2D", "UpBlock2D", "UpBlock2D"),
            num_class_embeds=NONE_LABEL + 1, norm_num_groups=8, attention_head_dim=8 if attention else None,
        )
        self.config = config
        self.info = info or {}

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.unet(noisy, timesteps, class_labels=labels).sample


def noise_scheduler(timesteps: int, schedule: str):
    """The DDPM forward process the denoiser is trained on (and every sampler reads its alphas from)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=timesteps, beta_schedule=schedule, prediction_type="epsilon",
                         clip_sample=False)


def add_noise(clean: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """The forward process q(x_t | x_0)."""
    alpha = alphas[timesteps].view(-1, 1, 1, 1)
    return alpha.sqrt() * clean + (1 - alpha).sqrt() * noise


def to_model_space(pixels: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> the denoiser's [-1, 1]."""
    return pixels * 2 - 1


def to_pixels(samples: torch.Tensor) -> torch.Tensor:
    """The denoiser's [-1, 1] -> pixels in [0, 1] (not clipped: a sampler may overshoot)."""
    return (samples + 1) / 2


def load_denoiser(folder: str | Path, dataset: str | None = None) -> Denoiser:
    """Load a denoiser folder (weights.safetensors + metrics.json); refuse a missing or corrupt one, or another data set's."""
    folder = Path(folder)
    info, config = read_folder(folder, DENOISER_FORMAT, DenoiserConfig, "denoiser folder")
    check_same_dataset(config.dataset, dataset, f"denoiser {folder}")
    denoiser = Denoiser(config, info)
    load_weights(denoiser.unet, folder)
    denoiser.info["folder"] = str(folder)
    return denoiser.eval()
