"""Adversarial (PGD) training and robust accuracy: models whose gradients draw digits.

A standard classifier's gradient points at tiny, high-frequency pixel changes
(the adversarial flip). Training on worst-case perturbed images (Madry et al. 2018)
removes those directions, and what is left of the gradient looks like the class
(Tsipras et al. 2019, Santurkar et al. 2019). ``AdversarialTraining`` is a fastai
``Callback`` that replaces half of every training batch by PGD examples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from fastai.callback.core import Callback
from torch import nn

from guidance.optimize.steps import STEP_RULES, per_image_norm, project_ball

EVAL_IMAGES = 1000  # robust accuracy is measured on the first 1000 test images
EVAL_STEPS_FACTOR = 4  # evaluation PGD runs 4x the training steps (at least 20): a stronger attack
ADVERSARIAL_FRACTION = 0.5  # the rest of each batch stays clean, which keeps clean accuracy


def default_step_size(eps: float, steps: int) -> float:
    """Madry et al.'s rule of thumb: 2.5 * eps / steps, so PGD can cross the ball and back."""
    return 2.5 * eps / steps


def pgd(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, norm: str, eps: float,
    steps: int, step_size: float, loss_func=None, generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Projected gradient ascent on the loss within an `eps` ball (l2 or linf) around pixel images.

    Starts from a random point in the ball; pixels are clamped to [0, 1] after each step,
    outside autograd (clamping inside the forward pass would zero the gradient at 0 and 1).
    """
    loss_func = loss_func or F.cross_entropy
    noise = torch.rand(images.shape, generator=generator).to(images.device) * 2 - 1
    if norm == "l2":
        noise = noise / per_image_norm(noise).clamp(min=1e-12) * eps * torch.rand(
            len(images), 1, 1, 1, generator=generator).to(images.device)
    else:
        noise = noise * eps
    adversarial = (images + noise).clamp(0, 1)
    ascend = STEP_RULES.get("normalized" if norm == "l2" else "sign")()  # the guidance loop's own step rules
    for _ in range(steps):
        adversarial.requires_grad_(True)
        with torch.enable_grad():
            loss = loss_func(model(adversarial), labels)
            grad = torch.autograd.grad(loss, adversarial)[0]
        adversarial.requires_grad_(False)
        with torch.no_grad():
            ascend(adversarial, -grad, step_size)  # a step rule descends: hand it -grad to raise the loss
            project_ball(adversarial, images, eps, norm)
            adversarial.clamp_(0, 1)
    return adversarial


class AdversarialTraining(Callback):
    """Replace half of each training batch by PGD examples; eps ramps up from 0 over `ramp_epochs`.

    Full-strength PGD from the first batch collapses a binary model to a constant
    output (a probe: eps 2 from the first batch gave a constant model); the ramp lets it learn the digits first.
    """

    order = 6  # after NoiseAugmentation, before the model sees the batch

    def __init__(self, norm: str, eps: float, steps: int, step_size: float, ramp_epochs: float):
        self.norm, self.eps, self.steps = norm, eps, steps
        self.step_size, self.ramp_epochs = step_size, ramp_epochs

    def current_eps(self) -> float:
        epochs_done = self.pct_train * self.n_epoch
        return self.eps * min(1.0, epochs_done / self.ramp_epochs) if self.ramp_epochs else self.eps

    def before_batch(self):
        if not self.training:
            return
        eps = self.current_eps()
        if eps <= 0:
            return
        (images,), (labels,) = self.xb, self.yb
        cut = int(len(images) * (1 - ADVERSARIAL_FRACTION))
        self.model.eval()  # attack the model as it is, without touching batch-norm statistics
        attacked = pgd(self.model, images[cut:], labels[cut:], self.norm, eps, self.steps,
                       self.step_size * eps / self.eps, self.loss_func)
        self.model.train()
        self.learn.xb = (torch.cat([images[:cut], attacked]),)


@dataclass(frozen=True)
class RobustReport:
    """Accuracy under a PGD attack stronger than training used, on a fixed test subset."""

    norm: str
    eps: float
    steps: int
    step_size: float
    n: int
    clean_accuracy: float
    robust_accuracy: float
    robust_balanced_accuracy: float

    def to_dict(self) -> dict:
        return asdict(self)


def robust_accuracy(
    model: nn.Module, images: np.ndarray, labels: np.ndarray, norm: str, eps: float,
    train_steps: int, batch_size: int = 500, seed: int = 0,
) -> RobustReport:
    """Clean and PGD accuracy of `model` (pixel input) on `images` uint8 (N, 28, 28), labels (N,)."""
    steps = max(20, EVAL_STEPS_FACTOR * train_steps)
    step_size = default_step_size(eps, steps)
    model = model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.from_numpy(images[:EVAL_IMAGES]).float().div(255).unsqueeze(1)
    truth = torch.from_numpy(labels[:EVAL_IMAGES]).long()
    clean, attacked = [], []
    for i in range(0, len(truth), batch_size):
        x, y = pixels[i : i + batch_size].to(device), truth[i : i + batch_size].to(device)
        with torch.no_grad():
            clean.append(model(x).argmax(1).cpu())
        adversarial = pgd(model, x, y, norm, eps, steps, step_size, generator=generator)
        with torch.no_grad():
            attacked.append(model(adversarial).argmax(1).cpu())
    clean_pred, robust_pred = torch.cat(clean), torch.cat(attacked)
    recalls = [float((robust_pred[truth == c] == c).float().mean()) for c in truth.unique()]
    return RobustReport(
        norm=norm, eps=eps, steps=steps, step_size=round(step_size, 6), n=len(truth),
        clean_accuracy=float((clean_pred == truth).float().mean()),
        robust_accuracy=float((robust_pred == truth).float().mean()),
        robust_balanced_accuracy=float(np.mean(recalls)),
    )
