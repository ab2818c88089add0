"""Parameterisations: what the loop optimises, and how it becomes the image the model sees.

``pixel`` moves the 784 pixels themselves. ``blur`` moves a latent image that is
shown through a Gaussian blur, so a step can only add smooth, stroke-wide ink;
``lowres`` moves a coarse grid that is upsampled bilinearly. Both take away the
high-frequency directions adversarial flips live in (feature visualisation's
"preconditioning", Olah et al. 2017) without adding a penalty to the loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from guidance.core.registry import Registry
from guidance.optimize.steps import gaussian_blur

PARAMETERISATIONS: Registry[type["Parameterisation"]] = Registry("parameterisation")


class Parameterisation:
    """``init(start)`` gives the tensor to optimise; ``render(z)`` the (B, 1, 28, 28) pixels."""

    def __init__(self, sigma: float = 1.0, factor: int = 2):
        self.sigma, self.factor = sigma, factor

    def init(self, start: torch.Tensor) -> torch.Tensor:
        return start.clone()

    def render(self, z: torch.Tensor) -> torch.Tensor:
        return z


@PARAMETERISATIONS.register("pixel")
class Pixel(Parameterisation):
    """The pixels themselves: the write-up's loop."""


@PARAMETERISATIONS.register("blur")
class Blur(Parameterisation):
    """Optimise z, show gaussian_blur(z, sigma): z starts as the start image."""

    def render(self, z):
        return gaussian_blur(z, self.sigma)


@PARAMETERISATIONS.register("lowres")
class LowRes(Parameterisation):
    """Optimise a (28/factor)^2 grid, show it upsampled bilinearly to 28x28."""

    def init(self, start):
        return F.avg_pool2d(start, self.factor)

    def render(self, z):
        return F.interpolate(z, scale_factor=self.factor, mode="bilinear", align_corners=False)


def make_parameterisation(name: str, sigma: float, factor: int) -> Parameterisation:
    return PARAMETERISATIONS.get(name)(sigma=sigma, factor=factor)
