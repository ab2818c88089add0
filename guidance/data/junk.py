"""Images of no digit: noise, blobs, strokes, textures and scribbles, for a "none" class.

A judge that must name one of ten digits names one for anything; trained with an
eleventh class made of these, it can say "none of the ten". Every generator takes a
torch.Generator, so a training run sees the same junk for the same seed.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from guidance.data.pen import POINTS, draw

SIZE = 28
JunkMaker = Callable[[int, torch.Generator], torch.Tensor]  # (n, generator) -> (n, 1, 28, 28) in [0, 1]


def _blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each image with its own Gaussian width (sigma: (n,) pixels)."""
    radius = 6
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernels = torch.exp(-0.5 * (offsets[None] / sigma[:, None]) ** 2)
    kernels = kernels / kernels.sum(1, keepdim=True)  # (n, 13)
    padded = F.pad(images.transpose(0, 1), (radius,) * 4, mode="reflect")  # (1, n, H+12, W+12)
    n = len(images)
    rows = F.conv2d(padded, kernels.view(n, 1, 1, -1), groups=n)
    both = F.conv2d(rows, kernels.view(n, 1, -1, 1), groups=n)
    return both.transpose(0, 1)


def uniform(n: int, generator: torch.Generator) -> torch.Tensor:
    """Every pixel U(0, 1), scaled by a random contrast."""
    return torch.rand(n, 1, SIZE, SIZE, generator=generator) * torch.rand(n, 1, 1, 1, generator=generator)


def gaussian(n: int, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise of random mean and spread, clipped."""
    mean = torch.rand(n, 1, 1, 1, generator=generator) * 0.5
    std = torch.rand(n, 1, 1, 1, generator=generator) * 0.5
    return (mean + std * torch.randn(n, 1, SIZE, SIZE, generator=generator)).clamp(0, 1)


def blobs(n: int, generator: torch.Generator) -> torch.Tensor:
    """Centred Gaussian noise blurred into soft blobs of random size: mean-digit-like smudges."""
    y, x = torch.meshgrid(torch.linspace(-1, 1, SIZE), torch.linspace(-1, 1, SIZE), indexing="ij")
    width = 0.3 + 0.5 * torch.rand(n, 1, 1, 1, generator=generator)
    envelope = torch.exp(-(x**2 + y**2) / (2 * width**2))
    noise = torch.randn(n, 1, SIZE, SIZE, generator=generator) * 0.6 + 0.3
    sigma = 0.7 + 2.0 * torch.rand(n, generator=generator)
    return (_blur(noise * envelope, sigma) * (1 + 2 * torch.rand(n, 1, 1, 1, generator=generator))).clamp(0, 1)


def strokes(n: int, generator: torch.Generator) -> torch.Tensor:
    """3-6 random straight strokes of random width: ink that is not a digit."""
    y, x = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")
    images = torch.zeros(n, 1, SIZE, SIZE)
    for i in range(n):
        for _ in range(int(torch.randint(3, 7, (1,), generator=generator))):
            a, b = torch.rand(2, 2, generator=generator) * 20 + 4  # endpoints inside the frame
            width = 0.6 + 1.2 * float(torch.rand(1, generator=generator))
            direction = b - a
            t = (((x - a[0]) * direction[0] + (y - a[1]) * direction[1]) / direction.square().sum().clamp(min=1e-6)).clamp(0, 1)
            distance = ((x - a[0] - t * direction[0]) ** 2 + (y - a[1] - t * direction[1]) ** 2).sqrt()
            images[i, 0] = torch.maximum(images[i, 0], (1.5 - distance / width).clamp(0, 1))
    return images


def textures(n: int, generator: torch.Generator) -> torch.Tensor:
    """Gratings and checkerboards of random frequency, angle and phase, sometimes under a round window."""
    y, x = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")
    angle = torch.rand(n, 1, 1, generator=generator) * math.pi
    frequency = 0.2 + 1.2 * torch.rand(n, 1, 1, generator=generator)
    phase = torch.rand(n, 1, 1, generator=generator) * 2 * math.pi
    along = x * torch.cos(angle) + y * torch.sin(angle)
    across = -x * torch.sin(angle) + y * torch.cos(angle)
    grating = 0.5 + 0.5 * torch.sin(frequency * along + phase)
    checker = (torch.sin(frequency * along + phase) * torch.sin(frequency * across) > 0).float()
    pick = torch.rand(n, 1, 1, generator=generator) < 0.5
    images = torch.where(pick, grating, checker)
    window = ((x - 13.5) ** 2 + (y - 13.5) ** 2).sqrt() < 6 + 8 * torch.rand(n, 1, 1, generator=generator)
    use_window = torch.rand(n, 1, 1, generator=generator) < 0.5
    images = torch.where(use_window, images * window, images)
    return images.unsqueeze(1) * (0.4 + 0.6 * torch.rand(n, 1, 1, 1, generator=generator))


def scribbles(n: int, generator: torch.Generator) -> torch.Tensor:
    """Pen paths through random points, drawn like MNIST digits (guidance/data/pen.py): handwriting of no digit.

    Half wander through POINTS random points; half through 3-5, so they are simple curves, hooks and
    loops, the shapes nearest to a digit that a scribble makes.
    """
    points = torch.rand(n, POINTS + 1, 2, generator=generator)  # the last row: the pen's width
    few = torch.randint(3, 6, (n,), generator=generator)
    for i in (torch.rand(n, generator=generator) < 0.5).nonzero().flatten().tolist():
        anchors = torch.rand(1, 2, int(few[i]), generator=generator)  # spread along the path: (1, 2, k) -> (1, 2, POINTS)
        points[i, :POINTS] = F.interpolate(anchors, size=POINTS, mode="linear", align_corners=True)[0].T
    with torch.no_grad():
        return draw(points)


JUNK: dict[str, JunkMaker] = {
    "uniform": uniform, "gaussian": gaussian, "blobs": blobs, "strokes": strokes, "textures": textures,
    "scribbles": scribbles,
}
JUDGE_JUNK = "uniform,gaussian,blobs,strokes,textures"  # the judge's "none" class: '' means these


def junk_makers(names: str = "") -> list[JunkMaker]:
    """The junk kinds named (comma-separated; '' = the judge's five), refusing an unknown name."""
    from guidance.core.errors import ConfigError
    from guidance.core.registry import did_you_mean

    chosen = [name.strip() for name in (names or JUDGE_JUNK).split(",") if name.strip()]
    for name in chosen:
        if name not in JUNK:
            raise ConfigError(f"unknown junk '{name}'{did_you_mean(name, list(JUNK))}; choose from: {', '.join(JUNK)}")
    return [JUNK[name] for name in chosen]


def junk_images(n: int, generator: torch.Generator, names: str = "") -> torch.Tensor:
    """n images of no digit, a random mix of the kinds named (see junk_makers)."""
    makers = junk_makers(names)
    kinds = torch.randint(len(makers), (n,), generator=generator)
    images = torch.zeros(n, 1, SIZE, SIZE)
    for index, make in enumerate(makers):
        chosen = (kinds == index).nonzero().flatten()
        if len(chosen):
            images[chosen] = make(len(chosen), generator)
    return images
