"""Set-level measures of a batch of images against real digits of the target, in the judge's feature space.

- **Fréchet distance** (the field's FID, on digit features: Inception weights can't be had
  offline and don't suit 28x28 digits), with scipy's matrix square root as pytorch-fid does.
- **precision, recall, density, coverage** (Kynkäänniemi et al. 2019; Naeem et al. 2020): noise
  far from the data reads as low precision; many copies of one digit as low recall and coverage.

Every figure comes with its real-vs-real value: the same measure for as many real *test* digits
of the target, against the same reference (the judge's training images of the target). FD is
strongly biased by sample size, so only the pair means anything.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from guidance.verdicts.judge import NEIGHBOURS, Judge, digit_features

MIN_IMAGES = 2 * NEIGHBOURS  # k-nearest-neighbour radii need a few images
REFERENCE_LIMIT = 2000  # reference images of the target: plenty for 64-image batches, and fast


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, F) and (M, F).

    The matrix square root is scipy's ``linalg.sqrtm``, as in pytorch-fid, the reference FID code
    (torchmetrics' FID would do too, but importing it costs 3 s and 250 MB in every process).
    """
    from scipy import linalg

    real64, fake64 = real.double().numpy(), fake.double().numpy()
    mean_real, mean_fake = real64.mean(0), fake64.mean(0)
    cov_real, cov_fake = np.cov(real64, rowvar=False), np.cov(fake64, rowvar=False)
    with warnings.catch_warnings():  # fewer images than features: the covariances are singular, as expected
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_real @ cov_fake)
    if not np.isfinite(root).all():  # a singular product: nudge the diagonals, as pytorch-fid does
        offset = np.eye(len(cov_real)) * 1e-6
        root = linalg.sqrtm((cov_real + offset) @ (cov_fake + offset))
    return float(np.sum((mean_real - mean_fake) ** 2) + np.trace(cov_real + cov_fake - 2 * root.real))


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
