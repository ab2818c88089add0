"""Set-level measures of a batch of images against real digits of the target, in the judge's feature space.

- **Fréchet distance** (the field's FID, on digit features: Inception weights can't be had
  offline and don't suit 28x28 digits), computed by torchmetrics' FID on precomputed features.
- **precision, recall, density, coverage** (Kynkäänniemi et al. 2019; Naeem et al. 2020): noise
  far from the data reads as low precision; many copies of one digit as low recall and coverage.

Every figure comes with its real-vs-real value: the same measure for as many real *test* digits
of the target, against the same reference (the judge's training images of the target). FD is
strongly biased by sample size, so only the pair means anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from guidance.verdicts.judge import NEIGHBOURS, Judge, digit_features

MIN_IMAGES = 2 * NEIGHBOURS  # k-nearest-neighbour radii need a few images
REFERENCE_LIMIT = 2000  # reference images of the target: plenty for 64-image batches, and fast


class _Precomputed(nn.Module):
    """torchmetrics' FID runs a feature extractor on what it is given: here, features already."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, F) and (M, F)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=_Precomputed(real.shape[1]), normalize=True)
    fid.update(real.double(), real=True)
    fid.update(fake.double(), real=False)
    return float(fid.compute())


def precision_recall_density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = NEIGHBOURS) -> dict[str, float]:
    """Naeem et al. 2020's four measures (as clovaai/prdc computes them), on features (N, F) and (M, F)."""
    real_radii = torch.cdist(real, real).kthvalue(k + 1, dim=1).values  # k+1: each point is its own nearest
    fake_radii = torch.cdist(fake, fake).kthvalue(k + 1, dim=1).values
    distances = torch.cdist(real, fake)  # (N, M)
    inside_real = distances < real_radii[:, None]  # fake j inside real i's ball
    return {
        "precision": float(inside_real.any(dim=0).float().mean()),
        "recall": float((distances < fake_radii[None, :]).any(dim=1).float().mean()),
        "density": float(inside_real.sum(dim=0).float().mean() / k),
        "coverage": float((distances.min(dim=1).values < real_radii).float().mean()),
    }


def _seeded_sample(population: int, count: int) -> np.ndarray:
    """The same `count` indices of `population` every time (sorted): a fair, reproducible sample."""
    return np.sort(np.random.default_rng(0).permutation(population)[:count])


def set_measures(reference: torch.Tensor, features: torch.Tensor) -> dict[str, float]:
    return {"fd": frechet_distance(reference, features), **precision_recall_density_coverage(reference, features)}


def set_metrics(judge: Judge, images: torch.Tensor, real_test: np.ndarray) -> dict[str, Any] | None:
    """Each set measure of `images` (B, 1, 28, 28) and its real-vs-real value at the same size.

    `real_test` holds real test images of the target (uint8, (N, 28, 28)); B of them, drawn by a
    fixed seed, are the real-vs-real sample. None for batches smaller than MIN_IMAGES.
    """
    count = len(images)
    if count < MIN_IMAGES:
        return None
    reference = judge.index.features[_seeded_sample(len(judge.index.features), REFERENCE_LIMIT)]
    real = torch.from_numpy(real_test[_seeded_sample(len(real_test), count)].astype(np.float32) / 255).unsqueeze(1)
    measured = set_measures(reference, digit_features(judge.model, images.float().cpu()))
    baseline = set_measures(reference, digit_features(judge.model, real))
    return {"n": count, "real_n": len(real), **measured, **{f"{name}_real": value for name, value in baseline.items()}}
