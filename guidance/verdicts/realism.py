"""How real an image looks: the realism critic and the distances to real images, calibrated on real ones.

Two measures that took no part in the guidance, each with a cutoff that lets through 99% of real
images of the target the judge and the critic never trained on (the judge's held-out 10% of the
training set, the same seed's split for both):
- the **critic**'s p(artificial): a classifier of real digits against the same digits made
  artificial the ways guided images go wrong (guidance/data/artifacts.py);
- the distance to the k-th nearest real training image of the target in the judge's feature
  space (textures and blobs the judge half-believes sit far from every real digit).
The pixel distance to the nearest real image is measured and reported too; it no longer
decides (a soft template 8 sits close to many 8s in pixels, which is what fooled it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from guidance.configs import TrainConfig
from guidance.data.images import as_pixels
from guidance.data.loading import ImageData, split
from guidance.models.guided import GuidedModel

CALIBRATION_QUANTILE = 0.99  # share of held-out real images each cutoff lets through
NEIGHBOURS = 5  # k of the k-th nearest neighbour in feature space
MID_GREY = (0.1, 0.9)  # pixels between these are "mid-grey": a stroke statistic reported with every verdict


@torch.no_grad()
def digit_features(model: GuidedModel, pixels: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The judge's penultimate activations (B, F) for (B, 1, 28, 28) pixels: what its last layer reads."""
    body = model.net[:-1]
    return torch.cat([body(model.normalize(pixels[i:i + batch_size])) for i in range(0, len(pixels), batch_size)])


@torch.no_grad()
def artificial_p(critic: GuidedModel, pixels: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The critic's p(artificial) for each (B, 1, 28, 28) image."""
    critic = critic.eval()
    return torch.cat([critic(pixels[i:i + batch_size]).softmax(1)[:, critic.target_index]
                      for i in range(0, len(pixels), batch_size)])


def grey_share(pixels: torch.Tensor) -> torch.Tensor:
    """Per image, the share of pixels that are mid-grey: real test 8s median 0.10, soft generated ones 0.19-0.20."""
    flat = pixels.reshape(len(pixels), -1)
    return ((flat > MID_GREY[0]) & (flat < MID_GREY[1])).float().mean(1)


def stray_specks(pixels: torch.Tensor, ink: float = 0.1, largest: int = 3) -> torch.Tensor:
    """Per image, the specks: visible blobs (> `ink`) of at most `largest` pixels. Real test digits have
    almost none; a denoiser's background speckle shows up here."""
    from scipy import ndimage

    counts = []
    for image in pixels.reshape(len(pixels), *pixels.shape[-2:]).cpu().numpy():
        labels, found = ndimage.label(image > ink, structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())[1:]
        counts.append(int((sizes <= largest).sum()) if found else 0)
    return torch.tensor(counts)


def kth_distance(queries: torch.Tensor, references: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each query to its k-th nearest reference (k = 1: the nearest)."""
    return torch.cdist(queries, references).kthvalue(k, dim=1).values


@dataclass(frozen=True)
class RealismIndex:
    """The real training images of one class (those the judge trained on), and the calibrated cutoffs."""

    target: int
    references: torch.Tensor  # (N, 784) pixels in [0, 1]
    features: torch.Tensor  # (N, F) judge features of the same images
    cutoff: float  # pixel L2 to the nearest reference that covers 99% of held-out real images (reported)
    feature_cutoff: float  # the same for the k-th nearest in feature space
    p_floor: float  # the judge's floor for p(target), or what 99% of held-out real images reach if higher
    critic_cutoff: float  # the critic's p(artificial) under which 99% of held-out real images fall

    def nearest(self, images: torch.Tensor) -> torch.Tensor:
        """L2 distance from each (B, 1, H, W) or (B, H, W) image to its nearest reference."""
        return kth_distance(images.reshape(len(images), -1).float(), self.references, 1)

    def feature_distance(self, features: torch.Tensor) -> torch.Tensor:
        return kth_distance(features, self.features, NEIGHBOURS)


def held_out_split(data: ImageData, judge_model: GuidedModel) -> np.ndarray:
    """True for the training images the judge held out (its training seed's split): the calibration images."""
    seed = TrainConfig.from_dict(judge_model.info.get("train_config", {})).seed
    held_out = np.zeros(len(data.train_labels), dtype=bool)
    held_out[split(len(data.train_labels), seed)[0]] = True
    return held_out


def build_realism_index(data: ImageData, target: int, judge_model: GuidedModel, critic: GuidedModel,
                        p_floor: float) -> RealismIndex:
    """Index the target's training images; calibrate every cutoff on held-out real ones."""
    held_out = held_out_split(data, judge_model)
    is_target = data.train_labels == target
    references, probes = (as_pixels(data.train_images[is_target & mask]) for mask in (~held_out, held_out))
    features, probe_features = digit_features(judge_model, references), digit_features(judge_model, probes)
    with torch.no_grad():
        probe_p = judge_model(probes).softmax(1)[:, target]  # a judge's classes are in label order
    flat = references.reshape(len(references), -1)
    quantile = CALIBRATION_QUANTILE
    return RealismIndex(
        target, flat, features,
        cutoff=float(torch.quantile(kth_distance(probes.reshape(len(probes), -1), flat, 1), quantile)),
        feature_cutoff=float(torch.quantile(kth_distance(probe_features, features, NEIGHBOURS), quantile)),
        p_floor=max(p_floor, float(torch.quantile(probe_p, 1 - quantile))),
        critic_cutoff=float(torch.quantile(artificial_p(critic, probes), quantile)),
    )
