"""Real images made artificial, the way guided images go wrong: what the realism critic learns to spot.

The raters who labelled the kit's outputs (the issue's, and tests/verdicts/labelled/) rejected
recognisable digits for these reasons: blurry or soft strokes, a thick blob-like template, blocky
strokes, a speckled or hazy background, stray dots and marks, an extra stroke no writer makes,
doubled strokes, dark specks inside strokes, thin hard-edged strokes, flat textureless silhouettes. Each maker below applies one of
them to real images; ``artificial_images`` applies one to three at random. They are made from
real digits on purpose: the critic must learn the artifact, not the digit.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from guidance.data.junk import SIZE, _blur

Artifact = Callable[[torch.Tensor, torch.Generator], torch.Tensor]  # (n, 1, 28, 28) in [0, 1] -> the same


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _rescale(images: torch.Tensor, peak: torch.Tensor) -> torch.Tensor:
    """Stretch each image so its brightest pixel is `peak` (n,)."""
    top = images.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-3)
    return (images / top * peak.view(-1, 1, 1, 1)).clamp(0, 1)


def blurred(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Soft strokes: a Gaussian blur of 1.0-2.0 px, contrast stretched back (people accept slightly soft ones)."""
    n = len(images)
    return _rescale(_blur(images, _uniform(n, 1.0, 2.0, generator)), _uniform(n, 0.8, 1.0, generator))


def thick_soft(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The robust model's template look: strokes dilated by 1-2 px, then softened."""
    n = len(images)
    thick = F.max_pool2d(images, 3, 1, 1)
    twice = F.max_pool2d(thick, 3, 1, 1)
    chosen = torch.where((torch.rand(n, 1, 1, 1, generator=generator) < 0.5), thick, twice)
    return _rescale(_blur(chosen, _uniform(n, 0.7, 1.3, generator)), _uniform(n, 0.85, 1.0, generator))


def blocky(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Strokes made of 2x2 or 4x4 blocks (a low-resolution parameterisation upsampled)."""
    factor = 2 if float(torch.rand(1, generator=generator)) < 0.6 else 4
    coarse = F.avg_pool2d(images, factor)
    return F.interpolate(coarse, scale_factor=factor, mode="nearest")


def speckled(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Isolated grey or bright dots over the background, 1-8% of pixels."""
    n = len(images)
    rate = _uniform(n, 0.01, 0.08, generator).view(-1, 1, 1, 1)
    dots = (torch.rand(images.shape, generator=generator) < rate) * (0.15 + 0.85 * torch.rand(images.shape, generator=generator))
    return torch.maximum(images, dots)


def stray_marks(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One to three small bright blobs anywhere, corners included."""
    n = len(images)
    y, x = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")
    marks = torch.zeros_like(images)
    for _ in range(3):
        keep = (torch.rand(n, generator=generator) < 0.6).float().view(-1, 1, 1)
        cy, cx = (torch.rand(2, n, 1, 1, generator=generator) * (SIZE - 1))
        width = _uniform(n, 0.5, 1.4, generator).view(-1, 1, 1)
        bump = torch.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * width**2)) * _uniform(n, 0.5, 1.0, generator).view(-1, 1, 1)
        marks[:, 0] = torch.maximum(marks[:, 0], bump * keep)
    return torch.maximum(images, marks)


def extra_stroke(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A curved stroke of 4-14 px across the digit or beside it."""
    n = len(images)
    y, x = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")
    t = torch.linspace(0, 1, 24).view(1, -1, 1, 1)
    start = torch.rand(n, 1, 2, generator=generator) * 22 + 3
    middle = start + (torch.rand(n, 1, 2, generator=generator) - 0.5) * 10
    end = start + (torch.rand(n, 1, 2, generator=generator) - 0.5) * 16
    points = (1 - t[..., 0]) ** 2 * start + 2 * (1 - t[..., 0]) * t[..., 0] * middle + t[..., 0] ** 2 * end  # (n, 24, 2)
    distance = ((x - points[..., 0, None, None]) ** 2 + (y - points[..., 1, None, None]) ** 2).sqrt().amin(1)
    width = _uniform(n, 0.6, 1.3, generator).view(-1, 1, 1)
    stroke = (1.5 - distance / width).clamp(0, 1) * _uniform(n, 0.6, 1.0, generator).view(-1, 1, 1)
    return torch.maximum(images, stroke.unsqueeze(1))


def doubled(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A second, fainter copy of the strokes shifted by 2-3 px."""
    shift = [int(v) for v in torch.randint(2, 4, (2,), generator=generator) * (torch.randint(0, 2, (2,), generator=generator) * 2 - 1)]
    copy = torch.roll(images, shifts=shift, dims=(2, 3)) * float(_uniform(1, 0.5, 1.0, generator))
    return torch.maximum(images, copy)


def hazy(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A grey haze: smooth low-level noise over the whole image."""
    n = len(images)
    noise = _blur(torch.rand(images.shape, generator=generator), _uniform(n, 0.5, 1.5, generator))
    return (images + noise * _uniform(n, 0.1, 0.35, generator).view(-1, 1, 1, 1)).clamp(0, 1)


def grainy(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Strokes of uneven, pixel-by-pixel brightness (pixel-space steps), or a faint digit."""
    n = len(images)
    grain = torch.rand(images.shape, generator=generator) * _uniform(n, 0.4, 0.9, generator).view(-1, 1, 1, 1)
    faint = _uniform(n, 0.35, 0.65, generator).view(-1, 1, 1, 1)
    pick = torch.rand(n, 1, 1, 1, generator=generator) < 0.5
    return torch.where(pick, images * (1 - grain), images * faint)


def jagged(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Thin, hard-edged strokes with no grey edge (the L1-shrunk sketches): eroded, then thresholded."""
    n = len(images)
    thin = -F.max_pool2d(-images, 3, 1, 1)
    thin = torch.where(thin.amax(dim=(1, 2, 3), keepdim=True) > 0.3, thin, images)  # strokes too thin to erode stay
    level = _uniform(n, 0.3, 0.6, generator).view(-1, 1, 1, 1)
    return (thin > level).float() * _uniform(n, 0.7, 1.0, generator).view(-1, 1, 1, 1)


def flat(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Texture and grey edges gone: a saturated silhouette (the robust model's sneakers, hard-edged strokes)."""
    n = len(images)
    return (images * _uniform(n, 2.5, 5.0, generator).view(-1, 1, 1, 1)).clamp(0, 1) * _uniform(n, 0.8, 1.0, generator).view(-1, 1, 1, 1)


def holes(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Dark specks inside the strokes: 5-20% of the inked pixels nearly put out."""
    n = len(images)
    rate = _uniform(n, 0.05, 0.2, generator).view(-1, 1, 1, 1)
    hit = (torch.rand(images.shape, generator=generator) < rate) & (images > 0.4)
    return torch.where(hit, images * 0.3 * torch.rand(images.shape, generator=generator), images)


ARTIFACTS: dict[str, Artifact] = {
    "blurred": blurred, "thick_soft": thick_soft, "blocky": blocky, "speckled": speckled,
    "stray_marks": stray_marks, "extra_stroke": extra_stroke, "doubled": doubled, "hazy": hazy, "grainy": grainy,
    "jagged": jagged, "flat": flat, "holes": holes,
}


def artifact_makers(names: str = "") -> list[Artifact]:
    """The artifacts named (comma-separated; '' = every one), refusing an unknown name."""
    from guidance.core.errors import ConfigError
    from guidance.core.registry import did_you_mean

    chosen = [name.strip() for name in names.split(",") if name.strip()] or list(ARTIFACTS)
    for name in chosen:
        if name not in ARTIFACTS:
            raise ConfigError(f"unknown artifact '{name}'{did_you_mean(name, list(ARTIFACTS))}; choose from: {', '.join(ARTIFACTS)}")
    return [ARTIFACTS[name] for name in chosen]


def artificial_images(images: torch.Tensor, generator: torch.Generator, names: str = "") -> torch.Tensor:
    """Each real image (n, 1, 28, 28) with one to three of the named artifacts ('' = all), chosen at random."""
    result = images.clone()
    makers = artifact_makers(names)
    for round_ in range(3):
        apply = torch.ones(len(images), dtype=torch.bool) if round_ == 0 else torch.rand(len(images), generator=generator) < 0.35
        kinds = torch.randint(len(makers), (len(images),), generator=generator)
        for index, make in enumerate(makers):
            chosen = (apply & (kinds == index)).nonzero().flatten()
            if len(chosen):
                result[chosen] = make(result[chosen], generator)
    return result
