"""Step rules, step-size schedules and the constraints applied after each step.

A step rule turns a gradient into an update of the optimised tensor, in place,
under ``torch.no_grad``. Every rule works per image, so batches stay independent.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from guidance.core.registry import Registry

STEP_RULES: Registry[type["StepRule"]] = Registry("step rule")
SCHEDULES: Registry[Callable[[int, int], float]] = Registry("schedule")


def per_image_norm(tensor: torch.Tensor) -> torch.Tensor:
    """L2 norm of each image, shaped (B, 1, 1, 1) for broadcasting."""
    return tensor.flatten(1).norm(dim=1).view(-1, 1, 1, 1)


class StepRule:
    """Base: ``rule(param, grad, lr)`` moves `param` downhill in place.

    ``from_config`` builds a rule from the run's config; rules that need no setting take none.
    """

    @classmethod
    def from_config(cls, config) -> "StepRule":
        return cls()

    def __call__(self, param: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """What the rule remembers between steps (a resumed run continues from it); most rules remember nothing."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Continue from a `state_dict()`."""


@STEP_RULES.register("sgd")
class SGD(StepRule):
    """param -= lr * grad: the write-up's rule."""

    def __call__(self, param, grad, lr):
        param.sub_(lr * grad)


@STEP_RULES.register("sign")
class Sign(StepRule):
    """param -= lr * sign(grad): FGSM/PGD-Linf style, every pixel moves by lr."""

    def __call__(self, param, grad, lr):
        param.sub_(lr * grad.sign())


@STEP_RULES.register("normalized")
class Normalized(StepRule):
    """param -= lr * grad / ||grad||: each image moves exactly lr in L2 (PGD-L2 style)."""

    def __call__(self, param, grad, lr):
        param.sub_(lr * grad / per_image_norm(grad).clamp(min=1e-12))


NOISE_SEED_OFFSET = 2_000_003  # Langevin noise draws use their own seeds, apart from the start and the jitter


@STEP_RULES.register("langevin")
class Langevin(StepRule):
    """Stochastic gradient Langevin dynamics, as JEM samples a classifier's energy (Grathwohl et al. 2020):
    a unit-L2 step of lr down the gradient, then Gaussian noise of std ``noise`` per pixel. The noise
    follows the step-size schedule (annealed with it), and image i draws it from its own seed."""

    def __init__(self, noise: float = 0.01, base_lr: float = 1.0, seeds: list[int] = ()):
        self.noise, self.base_lr = noise, base_lr
        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]

    @classmethod
    def from_config(cls, config) -> "Langevin":
        return cls(config.noise, config.lr, [config.seed + NOISE_SEED_OFFSET + i for i in range(config.batch)])

    def __call__(self, param, grad, lr):
        param.sub_(lr * grad / per_image_norm(grad).clamp(min=1e-12))
        if self.noise:
            draws = torch.stack([torch.randn(param.shape[1:], generator=g) for g in self.generators])
            param.add_(self.noise * (lr / self.base_lr) * draws.to(param.device))

    def state_dict(self) -> dict:
        return {"generators": [g.get_state() for g in self.generators]}

    def load_state_dict(self, state: dict) -> None:
        for generator, saved in zip(self.generators, state["generators"]):
            generator.set_state(saved)


@STEP_RULES.register("adam")
class Adam(StepRule):
    """Adam (Kingma & Ba 2015), elementwise, so each pixel has its own step size."""

    def __init__(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.betas, self.eps, self.t = betas, eps, 0
        self.m: torch.Tensor | None = None
        self.v: torch.Tensor | None = None

    def __call__(self, param, grad, lr):
        beta1, beta2 = self.betas
        if self.m is None:
            self.m, self.v = torch.zeros_like(param), torch.zeros_like(param)
        elif self.m.device != param.device:  # resumed from a checkpoint read on the CPU
            self.m, self.v = self.m.to(param.device), self.v.to(param.device)
        self.t += 1
        self.m.mul_(beta1).add_(grad, alpha=1 - beta1)
        self.v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        m_hat = self.m / (1 - beta1**self.t)
        v_hat = self.v / (1 - beta2**self.t)
        param.sub_(lr * m_hat / (v_hat.sqrt() + self.eps))

    def state_dict(self) -> dict:
        clone = lambda moment: None if moment is None else moment.detach().cpu().clone()
        return {"t": self.t, "m": clone(self.m), "v": clone(self.v)}

    def load_state_dict(self, state: dict) -> None:
        self.t, self.m, self.v = state["t"], state["m"], state["v"]


@SCHEDULES.register("constant")
def constant(step: int, total: int) -> float:
    return 1.0


@SCHEDULES.register("linear")
def linear(step: int, total: int) -> float:
    """From 1 down to 1/total, reaching ~0 at the end."""
    return 1.0 - step / total


@SCHEDULES.register("cosine")
def cosine(step: int, total: int) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * step / total))


def project_ball(param: torch.Tensor, center: torch.Tensor, eps: float, norm: str) -> None:
    """Keep each image within `eps` of `center` (in place), in 'linf' or 'l2'."""
    delta = param - center
    if norm == "linf":
        delta.clamp_(-eps, eps)
    else:
        delta.mul_((eps / per_image_norm(delta).clamp(min=1e-12)).clamp(max=1.0))
    param.copy_(center + delta)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur each channel of (B, C, H, W) with a Gaussian of `sigma` pixels (reflect padding)."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def jitter_view(images: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Roll each image by its own (dy, dx) from `shifts` (B, 2): the model sees a shifted copy."""
    return torch.stack([
        torch.roll(image, (int(dy), int(dx)), dims=(-2, -1)) for image, (dy, dx) in zip(images, shifts)
    ])
