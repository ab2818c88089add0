"""Objectives: named, weighted terms, each a per-image loss to minimise.

One sign convention everywhere: lower is better. A class loss (how far the
model is from the target) plus any regularisers (how the pixels look) are
summed into one objective; each term's value is logged under its own name.
Terms return one value per image, so images in a batch never interact, except through
``diversity``, the one term about the batch: it pushes the images apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from guidance.configs import RunConfig
from guidance.core.registry import Registry

ClassLoss = Callable[[torch.Tensor, int], torch.Tensor]  # (logits, target index) -> (B,)
PixelTerm = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (pixels, start) -> (B,)

LOSSES: Registry[ClassLoss] = Registry("loss")
REGULARIZERS: Registry[PixelTerm] = Registry("regularizer")


def _one_hot(logits: torch.Tensor, target: int) -> torch.Tensor:
    return F.one_hot(torch.full_like(logits[:, 0], target, dtype=torch.long), logits.shape[1]).float()


@LOSSES.register("l1")
def l1_softmax(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Mean |softmax - one-hot| over classes: the write-up's F.l1_loss, per image."""
    return (logits.softmax(1) - _one_hot(logits, target)).abs().mean(1)


@LOSSES.register("mse")
def mse_softmax(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Mean (softmax - one-hot)^2 over classes: the write-up's first try."""
    return (logits.softmax(1) - _one_hot(logits, target)).square().mean(1)


@LOSSES.register("ce")
def cross_entropy(logits: torch.Tensor, target: int) -> torch.Tensor:
    """-log p(target); does not saturate when the model is sure of another class."""
    return -logits.log_softmax(1)[:, target]


@LOSSES.register("logit")
def negative_logit(logits: torch.Tensor, target: int) -> torch.Tensor:
    """-logit(target), unbounded: feature-visualisation style."""
    return -logits[:, target]


@LOSSES.register("margin")
def margin(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Best other logit minus the target logit (C&W-style, no saturation)."""
    others = logits.clone()
    others[:, target] = float("-inf")
    return others.max(1).values - logits[:, target]


@REGULARIZERS.register("l2")
def l2_shrink(pixels: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """Sum of squared pixels: pulls toward black, against speckle."""
    return pixels.square().flatten(1).sum(1)


@REGULARIZERS.register("l1")
def l1_shrink(pixels: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """Sum of absolute pixels: sparse ink."""
    return pixels.abs().flatten(1).sum(1)


@REGULARIZERS.register("tv")
def total_variation(pixels: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation: sum of absolute neighbour differences."""
    dx = (pixels[..., :, 1:] - pixels[..., :, :-1]).abs().flatten(1).sum(1)
    dy = (pixels[..., 1:, :] - pixels[..., :-1, :]).abs().flatten(1).sum(1)
    return dx + dy


@REGULARIZERS.register("proximity")
def proximity(pixels: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """Squared L2 distance to the start image."""
    return (pixels - start).square().flatten(1).sum(1)


@REGULARIZERS.register("diversity")
def diversity(pixels: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
    """Per image, its mean RBF-kernel similarity to the batch's other images: lower is more varied.

    The repulsion of Stein variational gradient descent (Liu & Wang 2016), with SVGD's bandwidth,
    median squared distance / log(B + 1), held fixed within a step. A batch of one has nothing to
    be unlike: 0.
    """
    count = len(pixels)
    if count < 2:
        return pixels.new_zeros(count)
    flat = pixels.flatten(1)
    squared = (flat[:, None] - flat[None]).square().sum(-1)  # not cdist: its gradient is NaN at distance 0
    others = ~torch.eye(count, dtype=torch.bool, device=pixels.device)
    bandwidth = squared.detach()[others].median().clamp(min=1e-6) / math.log(count + 1)
    similarity = torch.exp(-squared / bandwidth)
    return (similarity * others).sum(1) / (count - 1)


@dataclass(frozen=True)
class Objective:
    """A class loss plus weighted pixel terms; ``__call__`` gives (total, terms) per image."""

    loss_name: str
    target_index: int
    weights: dict[str, float]  # regularizer name -> weight (only the non-zero ones)

    def __call__(
        self, logits: torch.Tensor, pixels: torch.Tensor, start: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = {self.loss_name: LOSSES.get(self.loss_name)(logits, self.target_index)}
        for name, weight in self.weights.items():
            terms[f"reg:{name}"] = weight * REGULARIZERS.get(name)(pixels, start)
        values = list(terms.values())
        total = values[0] if len(values) == 1 else torch.stack(values).sum(0)
        return total, terms


def build_objective(config: RunConfig, target_index: int) -> Objective:
    """The objective a run config describes, for a model whose target output is `target_index`."""
    LOSSES.get(config.loss)  # fail early on an unknown name
    weights = {name: getattr(config, name) for name in REGULARIZERS.names() if getattr(config, name)}
    return Objective(config.loss, target_index, weights)
