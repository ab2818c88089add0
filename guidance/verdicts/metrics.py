"""Set-level measures of a batch of images against real digits of the target."""

from __future__ import annotations

import numpy as np
import torch

from guidance.data.mnist import MnistData


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean L2 distance between all pairs of a batch: how different the images are from each other."""
    flat = images.reshape(len(images), -1).float()
    if len(flat) < 2:
        return 0.0
    return float(torch.cdist(flat, flat).sum() / (len(flat) * (len(flat) - 1)))


def diversity(images: torch.Tensor, data: MnistData, target: int, reference_count: int = 64) -> dict[str, float]:
    """Spread of a batch against that of real test digits of `target` (first `reference_count`).

    A ratio near 1 means the batch differs within itself as much as real digits do;
    near 0, one image drawn many times.
    """
    real = torch.from_numpy(data.test_digits(target)[:reference_count].astype(np.float32) / 255)
    spread, real_spread = mean_pairwise_distance(images), mean_pairwise_distance(real)
    return {"mean_pairwise_l2": spread, "real_mean_pairwise_l2": real_spread, "ratio": spread / real_spread}
