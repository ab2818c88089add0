"""Networks by name: a registry of the kit's own, then any timm model.

Every network maps (B, C, 28, 28) normalised input to (B, n_out) logits and is
built with random weights (nothing can be downloaded here).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from guidance.core.errors import ConfigError
from guidance.core.registry import Registry, did_you_mean

ARCHITECTURES: Registry[Callable[[int, int], nn.Module]] = Registry("architecture")


def _conv(channels_in: int, channels_out: int, kernel: int, stride: int) -> list[nn.Module]:
    return [
        nn.Conv2d(channels_in, channels_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(channels_out),
        nn.SiLU(),  # smooth, so guidance gradients never die on a ReLU plateau
    ]


@ARCHITECTURES.register("small_cnn")
def small_cnn(channels: int, n_out: int) -> nn.Module:
    """The default: four conv layers, ~0.8M multiply-adds, fast to train and to guide."""
    return nn.Sequential(
        *_conv(channels, 16, 5, 2),  # 14x14
        *_conv(16, 32, 3, 1),
        *_conv(32, 64, 3, 2),  # 7x7
        *_conv(64, 64, 3, 2),  # 4x4
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, n_out),
    )


@ARCHITECTURES.register("judge_cnn")
def judge_cnn(channels: int, n_out: int) -> nn.Module:
    """The judge's network: deliberately unlike small_cnn (ReLU, max-pool, no batch norm, dropout)."""
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 3x3
        nn.Flatten(),
        nn.Linear(64 * 9, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, n_out),
    )


class VisibleInk(nn.Module):
    """Set pixels fainter than `floor` to 0: grey no one sees on a black background.

    The denoiser leaves values of a few /255 in the background; people can't see them, and a
    critic that may read them calls every such sample artificial (recall 0.80 -> 0.90 without).
    """

    def __init__(self, floor: float):
        super().__init__()
        self.floor = floor

    def forward(self, pixels):
        return pixels * (pixels >= self.floor)


@ARCHITECTURES.register("critic_cnn")
def critic_cnn(channels: int, n_out: int) -> nn.Module:
    """The realism critic's network: small_cnn on visible ink only (input: plain pixels, normalize 'none')."""
    return nn.Sequential(VisibleInk(0.05), *small_cnn(channels, n_out))


@ARCHITECTURES.register("fastai_resnet34")
def fastai_resnet34(channels: int, n_out: int) -> nn.Module:
    """The write-up's model: torchvision resnet34 body + fastai head, as vision_learner builds it."""
    from fastai.vision.learner import create_vision_model
    from torchvision.models import resnet34

    return create_vision_model(resnet34, n_out, pretrained=False, n_in=channels)


def create_network(arch: str, channels: int, n_out: int) -> nn.Module:
    """Build `arch` (a registry name or a timm model name) with random weights."""
    if arch in ARCHITECTURES:
        return ARCHITECTURES.get(arch)(channels, n_out)
    import timm

    if not timm.is_model(arch):
        choices = ARCHITECTURES.names() + timm.list_models()
        raise ConfigError(
            f"unknown architecture '{arch}'{did_you_mean(arch, choices)}; use one of "
            f"{', '.join(ARCHITECTURES.names())} or a timm name (timm.list_models())"
        )
    return timm.create_model(arch, pretrained=False, num_classes=n_out, in_chans=channels)


def check_architecture(arch: str) -> None:
    """Fail early, with a suggestion, on a name that is neither ours nor timm's."""
    if arch not in ARCHITECTURES:
        import timm

        if not timm.is_model(arch):
            create_network(arch, 1, 2)  # raises the helpful error
