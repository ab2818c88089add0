"""Parameterisations: what the loop optimises, and how it becomes the image the model sees.

``pixel`` moves the 784 pixels themselves. ``blur`` moves a latent image that is
shown through a Gaussian blur, so a step can only add smooth, stroke-wide ink;
``lowres`` moves a coarse grid that is upsampled bilinearly. Both take away the
high-frequency directions adversarial flips live in (feature visualisation's
"preconditioning", Olah et al. 2017) without adding a penalty to the loss.
``strokes`` goes further: it moves the control points of one pen path drawn like an MNIST
digit (guidance/data/pen.py), so only pen strokes can be reached.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from guidance.core.registry import Registry
from guidance.data.pen import draw, random_pens
from guidance.optimize.steps import gaussian_blur

PARAMETERISATIONS: Registry[type["Parameterisation"]] = Registry("parameterisation")


class Parameterisation:
    """``init(start, seed)`` gives the tensor to optimise; ``render(z)`` the (B, 1, 28, 28) pixels.

    A parameterisation that ``draws_start`` ignores the start's pixels and makes its own seeded
    start; the loop then measures every change from ``render(init(...))``.
    """

    draws_start = False

    def __init__(self, sigma: float = 1.0, factor: int = 2):
        self.sigma, self.factor = sigma, factor

    def init(self, start: torch.Tensor, seed: int = 0) -> torch.Tensor:
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

    def init(self, start, seed=0):
        return F.avg_pool2d(start, self.factor)

    def render(self, z):
        return F.interpolate(z, scale_factor=self.factor, mode="bilinear", align_corners=False)


@PARAMETERISATIONS.register("strokes")
class Strokes(Parameterisation):
    """Optimise the control points of one pen path, drawn like an MNIST digit; it starts as a random scribble."""

    draws_start = True

    def init(self, start, seed=0):
        # (B, 1, POINTS + 1, 2): shaped like an image batch, so step rules and masks treat it per image
        return random_pens(len(start), seed).unsqueeze(1).to(start.device)

    def render(self, z):
        return draw(z[:, 0])


def make_parameterisation(name: str, sigma: float, factor: int) -> Parameterisation:
    return PARAMETERISATIONS.get(name)(sigma=sigma, factor=factor)
