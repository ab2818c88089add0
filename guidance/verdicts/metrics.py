"""Set-level measures of a batch of images against real digits of the target, in the judge's feature space.

- **Fréchet distance** (the field's FID, on digit features: Inception weights can't be had
  offline and don't suit 28x28 digits), with scipy's matrix square root as pytorch-fid does.
- **precision, recall, density, coverage** (Kynkäänniemi et al. 2019; Naeem et al. 2020): noise
  far from the data reads as low precision; many copies of one digit as low recall and coverage.
- **C2ST** (Lopez-Paz & Oquab 2017, a classifier two-sample test): a logistic regression learns to
  tell the batch from as many real test images, on the judge's and the critic's features; its
  accuracy on the held-out half (each half trains once) is 0.5 when the two sets can't be told apart.

Every figure comes with its real-vs-real value: the same measure for as many real *test* digits
of the target, against the same reference (the judge's training images of the target). FD is
strongly biased by sample size, so only the pair means anything.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from guidance.verdicts.judge import Judge
from guidance.verdicts.realism import NEIGHBOURS, digit_features

C2ST_L2 = 1e-2  # ridge penalty of the two-sample test's logistic regression: small sets must not be memorised

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


def _seeded_sample(population: int, count: int, skip: int = 0) -> np.ndarray:
    """The same `count` indices of `population` every time (sorted), after the first `skip` of the same order."""
    return np.sort(np.random.default_rng(0).permutation(population)[skip:skip + count])


def c2st_accuracy(first: torch.Tensor, second: torch.Tensor) -> float:
    """How well a logistic regression tells two feature sets (N, F) and (M, F) apart on held-out halves.

    Each set is split in two by a fixed seed; the model trains on one half of both and is tested on
    the other, then the other way round. 0.5: indistinguishable; 1.0: told apart every time.
    """
    generator = torch.Generator().manual_seed(0)
    halves = [torch.randperm(len(features), generator=generator).chunk(2) for features in (first, second)]
    correct = total = 0
    for train, test in ((0, 1), (1, 0)):
        x_train = torch.cat([first[halves[0][train]], second[halves[1][train]]]).double()
        y_train = torch.cat([torch.zeros(len(halves[0][train])), torch.ones(len(halves[1][train]))]).double()
        mean, std = x_train.mean(0), x_train.std(0).clamp(min=1e-6)
        weights = _logistic_regression((x_train - mean) / std, y_train)
        for features, label, part in ((first, 0, halves[0][test]), (second, 1, halves[1][test])):
            x = (features[part].double() - mean) / std
            predicted = (torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) @ weights > 0).long()
            correct += int((predicted == label).sum())
            total += len(part)
    return correct / total


def _logistic_regression(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Ridge-penalised logistic regression by L-BFGS; returns weights with the bias last."""
    inputs = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    weights = torch.zeros(inputs.shape[1], dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights], max_iter=100, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(inputs @ weights, y) + C2ST_L2 * weights[:-1].square().sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    return weights.detach()


@torch.no_grad()
def two_sample_features(judge: Judge, images: torch.Tensor) -> torch.Tensor:
    """What the two-sample test reads: the judge's features (which class) beside the critic's (how real)."""
    critic = judge.critic.eval()
    return torch.cat([digit_features(judge.model, images), critic.net[:-1](critic.normalize(images))], 1)


def twin_cutoff(real_test: np.ndarray, quantile: float = 0.01) -> float:
    """The pixel-L2 distance `quantile` of real test images of the class are within of their nearest other one."""
    real = torch.from_numpy(real_test.reshape(len(real_test), -1).astype(np.float32) / 255)
    return float(torch.quantile(torch.cdist(real, real).fill_diagonal_(float("inf")).min(1).values, quantile))


def near_twins(images: torch.Tensor, cutoff: float) -> float:
    """The share of `images` with another image of the same batch closer (pixel L2) than `cutoff`
    (``twin_cutoff``): near-duplicates, the sign of one mode."""
    flat = images.reshape(len(images), -1).float()
    return float((torch.cdist(flat, flat).fill_diagonal_(float("inf")).min(1).values < cutoff).float().mean())


def set_measures(reference: torch.Tensor, features: torch.Tensor) -> dict[str, float]:
    return {"fd": frechet_distance(reference, features), **precision_recall_density_coverage(reference, features)}


def set_metrics(judge: Judge, images: torch.Tensor, real_test: np.ndarray) -> dict[str, Any] | None:
    """Each set measure of `images` (B, 1, 28, 28) and its real-vs-real value at the same size.

    `real_test` holds real test images of the target (uint8, (N, 28, 28)); B of them, drawn by a
    fixed seed, are the real-vs-real sample. The two-sample test compares the batch with those,
    and, for its real-vs-real value, another B real test images with them (fewer when the test
    set is short). None for batches smaller than MIN_IMAGES.
    """
    count = len(images)
    if count < MIN_IMAGES:
        return None
    images = images.float().cpu()

    def real_images(skip: int, size: int) -> torch.Tensor:
        return torch.from_numpy(real_test[_seeded_sample(len(real_test), size, skip)].astype(np.float32) / 255).unsqueeze(1)

    reference = judge.index.features[_seeded_sample(len(judge.index.features), REFERENCE_LIMIT)]
    real = real_images(0, count)
    other_real = real_images(count, min(count, len(real_test) - count))
    measured = set_measures(reference, digit_features(judge.model, images))
    baseline = set_measures(reference, digit_features(judge.model, real))
    real_features = two_sample_features(judge, real)
    measured["c2st"] = c2st_accuracy(two_sample_features(judge, images), real_features)
    cutoff = twin_cutoff(real_test)
    measured["twins"], baseline["twins"] = near_twins(images, cutoff), near_twins(real, cutoff)
    baseline["c2st"] = c2st_accuracy(two_sample_features(judge, other_real), real_features) if len(other_real) >= MIN_IMAGES else None
    return {"n": count, "real_n": len(real), **measured, **{f"{name}_real": value for name, value in baseline.items()}}
