"""A failure battery: groups of images that are not real 8s, made by the kit itself.

None of these groups is what the judge's "none" class trained on (guidance/data/junk.py
draws straight strokes, gratings and checkerboards; here strokes are curves and textures
are smooth random fields), and several are the kit's own guided outputs: the standard
model's blobs, adversarial flips, L1-shrunk sketches and the robust model's soft prototype.
`bench/bench_verdicts.py` prints each group's `generated` share; the verdicts must keep every
group at 2% or less, the prototypes at 10% or less.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from guidance.configs import RunConfig
from guidance.data.images import as_pixels
from guidance.data.loading import ImageData
from guidance.models.guided import GuidedModel
from guidance.optimize.loop import guide
from guidance.optimize.starts import make_start
from guidance.optimize.steps import gaussian_blur

SIZE = 28


def _grid() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")


def curved_strokes(n: int, generator: torch.Generator) -> torch.Tensor:
    """2-4 quadratic Bezier curves of random width: handwriting-like ink that is not a digit."""
    y, x = _grid()
    images = torch.zeros(n, 1, SIZE, SIZE)
    t = torch.linspace(0, 1, 40)[:, None]
    for i in range(n):
        for _ in range(int(torch.randint(2, 5, (1,), generator=generator))):
            p0, p1, p2 = torch.rand(3, 2, generator=generator) * 20 + 4
            points = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2  # (40, 2)
            distance = ((x[None] - points[:, 0, None, None]) ** 2 + (y[None] - points[:, 1, None, None]) ** 2).sqrt().amin(0)
            width = 0.8 + float(torch.rand(1, generator=generator))
            images[i, 0] = torch.maximum(images[i, 0], (1.5 - distance / width).clamp(0, 1))
    return images


def smooth_textures(n: int, generator: torch.Generator) -> torch.Tensor:
    """Random fields: white noise at a coarse scale, upsampled, thresholded into patches or bands."""
    coarse = torch.rand(n, 1, 7, 7, generator=generator)
    field = F.interpolate(coarse, size=(SIZE, SIZE), mode="bicubic", align_corners=False)
    level = 0.3 + 0.4 * torch.rand(n, 1, 1, 1, generator=generator)
    banded = (torch.sin(field * 20) * 0.5 + 0.5)
    return torch.where(torch.rand(n, 1, 1, 1, generator=generator) < 0.5, (field > level).float(), banded).clamp(0, 1)


def blurred_mean_digits(data: ImageData, n: int, generator: torch.Generator) -> torch.Tensor:
    """The mean image of each digit class (and of all digits), blurred by a random width, with faint noise."""
    means = [data.train_images[data.train_labels == digit].mean(0) for digit in range(10)]
    means.append(data.train_images.mean(0))
    stack = torch.from_numpy(np.stack(means).astype(np.float32) / 255).unsqueeze(1)
    chosen = stack[torch.randint(len(stack), (n,), generator=generator)]
    images = torch.cat([gaussian_blur(image[None], 0.5 + 1.5 * float(torch.rand(1, generator=generator))) for image in chosen])
    scale = 1 + 1.5 * torch.rand(n, 1, 1, 1, generator=generator)  # mean digits are faint: brighten some
    return (images * scale + 0.03 * torch.randn(images.shape, generator=generator)).clamp(0, 1)


def _from_noise(guided: GuidedModel, data: ImageData, n: int, seed: int, **fields) -> torch.Tensor:
    """`n` images guided from per-pixel data noise on `guided` by unit-L2 steps, with the recipe's other `fields`."""
    config = RunConfig(start="noise:data", step="normalized", batch=n, seed=seed, device="cpu", judge=False,
                       stop_each=False, **fields)  # every image runs all its steps, as these recipes were measured
    return guide(guided, make_start(config.start, n, seed, lambda: data).pixels, config).final


def standard_blobs(data: ImageData, standard: GuidedModel, n: int, seed: int) -> torch.Tensor:
    """The issue's example: the standard model, per-pixel data noise, l1, blurred latent, 400 unit-L2 steps."""
    return _from_noise(standard, data, n, seed, model="standard", loss="l1", param="blur", param_sigma=0.5, lr=0.05, steps=400)


def flips(data: ImageData, standard: GuidedModel, n: int, sources: tuple[int, ...] = (2, 3, 5)) -> torch.Tensor:
    """Real test images of the `sources` classes pushed toward the target on the standard model, inside an L2 ball of 3."""
    per_digit = math.ceil(n / len(sources))
    starts = torch.cat([as_pixels(data.test_digits(digit)[:per_digit]) for digit in sources])[:n]
    config = RunConfig(model="standard", loss="ce", param="pixel", step="normalized", lr=0.1, steps=200,
                       eps=3.0, eps_norm="l2", early_stop=True, threshold=0.999, batch=n, device="cpu", judge=False,
                       stop_each=False)
    return guide(standard, starts, config).final


def sketches(data: ImageData, robust: GuidedModel, n: int, seed: int) -> torch.Tensor:
    """Thin, faint L1-shrunk 'ghost 8s': the robust model with a strong pixel-space L1 penalty."""
    return _from_noise(robust, data, n, seed, model="robust", loss="logit", param="pixel", lr=0.05, steps=500, l1=0.02)


def robust_prototypes(data: ImageData, robust: GuidedModel, n: int, seed: int) -> torch.Tensor:
    """experiments/generate-prototype.toml's recipe (the gradient alone before issue 21): the robust model's one soft template."""
    return _from_noise(robust, data, n, seed, model="robust", loss="logit", param="blur", param_sigma=0.5, lr=0.05, steps=500)


PROTOTYPES = "robust model's prototypes (generate-prototype)"  # the group held to <= 10%, not 2%: some are fine digits


def failure_battery(
    data: ImageData, standard: GuidedModel, robust: GuidedModel, n: int = 64, seed: int = 12345,
    flip_from: tuple[int, ...] = (2, 3, 5),
) -> dict[str, torch.Tensor]:
    """Every group of the battery, `n` images each, name -> (n, 1, 28, 28); `flip_from`: the flips' start classes."""
    flip_names = ", ".join(data.spec.class_name(label) for label in flip_from)
    generator = torch.Generator().manual_seed(seed)
    groups: dict[str, Callable[[], torch.Tensor]] = {
        "uniform noise": lambda: torch.rand(n, 1, SIZE, SIZE, generator=generator),
        "gaussian noise": lambda: make_start("noise:gaussian", n, seed, lambda: data).pixels.clamp(0, 1),
        "standard model's blobs": lambda: standard_blobs(data, standard, n, seed),
        "blurred mean images": lambda: blurred_mean_digits(data, n, generator),
        f"flips of {flip_names} (L2 <= 3)": lambda: flips(data, standard, n, flip_from),
        "curved strokes": lambda: curved_strokes(n, generator),
        "smooth textures": lambda: smooth_textures(n, generator),
        "L1-shrunk sketches": lambda: sketches(data, robust, n, seed),
        PROTOTYPES: lambda: robust_prototypes(data, robust, n, seed),
    }
    return {name: make() for name, make in groups.items()}
