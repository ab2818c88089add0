"""Guidance: how the noise prediction is steered toward the target at each sampling step.

- ``none``: the denoiser alone, told no digit (label "none").
- ``free``: classifier-free guidance (Ho & Salimans 2022) in diffusers' convention,
  eps = eps_none + s (eps_target - eps_none): s = 0 is unconditional, s = 1 plain
  conditional, s > 1 pushes past it. (The paper writes (1 + w) eps_c - w eps_u: s = 1 + w.)
- ``classifier``: classifier guidance (Dhariwal & Nichol 2021) on the unconditional denoiser,
  eps = eps_none - s sqrt(1 - alpha_bar_t) grad log p(target | x_t). A noise-aware classifier
  reads x_t itself; any other classifier of the kit reads the predicted clean image
  x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t) (universal guidance,
  Bansal et al. 2023), and the gradient flows back through the denoiser to x_t.

A negative class (the negative prompt's analogue) steers away from it: classifier-free guidance
puts the negative class's noise prediction where the unconditional one was (as diffusers does
with a negative prompt), eps = eps_neg + s (eps_target - eps_neg); classifier guidance subtracts
the negative class's gradient, grad log p(target | x) - grad log p(negative | x), read by a
classifier of the same kind made for the negative class.
"""

from __future__ import annotations

from typing import Callable

import torch

from guidance.diffusion.classifier import NoisyClassifier
from guidance.diffusion.denoiser import NONE_LABEL, Denoiser, to_pixels
from guidance.models.guided import GuidedModel

NoisePredictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> steered eps


def predicted_clean(noisy: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """x0_hat: the clean image the noise prediction implies."""
    return (noisy - (1 - alpha_bar).sqrt() * noise) / alpha_bar.sqrt()


def steered_noise(
    kind: str, denoiser: Denoiser, scale: float, target: int, alphas: torch.Tensor,
    classifier: NoisyClassifier | GuidedModel | None = None, negative: int | None = None,
    negative_classifier: NoisyClassifier | GuidedModel | None = None,
) -> NoisePredictor:
    """The noise predictor of one guidance kind, steered away from `negative` if given (see the module docstring)."""
    away = NONE_LABEL if negative is None else negative

    def labels(x: torch.Tensor, label: int) -> torch.Tensor:
        return torch.full((len(x),), label, dtype=torch.long, device=x.device)

    def unguided(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return denoiser(x, t.expand(len(x)), labels(x, NONE_LABEL))

    def free(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        both = denoiser(torch.cat([x, x]), t.expand(2 * len(x)), torch.cat([labels(x, away), labels(x, target)]))
        unconditional, conditional = both.chunk(2)
        return unconditional + scale * (conditional - unconditional)

    def classifier_guided(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        alpha_bar = alphas[t]
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            if isinstance(classifier, NoisyClassifier):
                with torch.no_grad():
                    noise = unguided(x, t)
                seen = x
            else:
                noise = unguided(x, t)
                seen = to_pixels(predicted_clean(x, noise, alpha_bar))
            log_p = log_p_target(classifier, seen, t)
            if negative_classifier is not None:
                log_p = log_p - log_p_target(negative_classifier, seen, t)
            grad = torch.autograd.grad(log_p.sum(), x)[0]
        return noise.detach() - scale * (1 - alpha_bar).sqrt() * grad

    if kind == "classifier" and classifier is None:
        raise ValueError("classifier guidance needs a classifier")
    if kind == "classifier" and (negative is None) != (negative_classifier is None):
        raise ValueError("a negative class under classifier guidance needs its own classifier")
    return {"none": unguided, "free": free, "classifier": classifier_guided}[kind]


def log_p_target(classifier: NoisyClassifier | GuidedModel, images: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """log p(the classifier's target | images); a noise-aware classifier also reads the timestep."""
    logits = classifier(images, t.expand(len(images))) if isinstance(classifier, NoisyClassifier) else classifier(images)
    return logits.log_softmax(1)[:, classifier.target_index]
