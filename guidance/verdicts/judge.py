"""Verdicts: tell an adversarial flip from a real 8, by itself.

Every guided image is measured by things that took no part in the guidance:
- a **judge**, a separate 10-class digit classifier (see ``JUDGE_CONFIG``);
- a **realism check** that needs no classifier: the L2 distance to the nearest
  real training image of the target class, against the distance that covers
  99% of real digits (leave-one-out within the training images, so the test set
  stays an independent check).

``unchanged``: the guided model never got sure (p < threshold);
``flip``: the guided model is sure, the judge is not (it usually still sees the start digit);
``generated``: the judge agrees and the image is as close to real digits as real digits are;
``unrealistic``: the judge agrees, but the image is far from every real digit of the class;
``already``: the guided model was sure from step 0 and the saved image equals the start:
nothing was guided, so there is nothing to call a flip or a generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from guidance.config import JUDGE_CONFIG
from guidance.data.mnist import MnistData
from guidance.errors import ModelError
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model
from guidance.training.presets import OnTrain, cached_or_trained

VERDICTS = ("unchanged", "already", "flip", "generated", "unrealistic")
REALISM_QUANTILE = 0.99


@dataclass(frozen=True)
class RealismIndex:
    """Nearest-neighbour distances to the real training images of one digit."""

    target: int
    references: torch.Tensor  # (N, 784) float32 in [0, 1]
    cutoff: float  # distance within which REALISM_QUANTILE of real digits lie

    def nearest(self, images: torch.Tensor) -> torch.Tensor:
        """L2 distance from each (B, 1, H, W) or (B, H, W) image to its nearest reference."""
        flat = images.reshape(len(images), -1).float()
        return torch.cdist(flat, self.references).min(dim=1).values


def build_realism_index(data: MnistData, target: int, quantile: float = REALISM_QUANTILE) -> RealismIndex:
    """Index the training images of `target`; calibrate the cutoff leave-one-out."""
    references = torch.from_numpy(data.train_images[data.train_labels == target]).reshape(-1, 28 * 28).float() / 255
    distances = torch.cdist(references, references)
    distances.fill_diagonal_(float("inf"))
    leave_one_out = distances.min(dim=1).values
    return RealismIndex(target, references, float(torch.quantile(leave_one_out, quantile)))


@dataclass
class Judge:
    """The judge classifier plus the realism index for one target."""

    model: GuidedModel
    index: RealismIndex


def load_judge(
    data: Callable[[], MnistData], target: int, folder: str | Path | None = None,
    on_train: OnTrain | None = None,
) -> Judge:
    """The judge (cached, shipped, or trained first via ``on_train``) and the realism index."""
    if folder is None:
        folder, _ = cached_or_trained(JUDGE_CONFIG, "judge", data, on_train)
    model = load_model(folder)
    if model.class_names != [str(digit) for digit in range(10)]:
        raise ModelError(f"{folder} is not a judge: it must classify all ten digits, not {model.class_names}")
    return Judge(model, build_realism_index(data(), target))


def decide(guided_p: float, threshold: float, judge_top: str, target: int, realistic: bool, moved: bool = True) -> str:
    """The verdict for one image (see module docstring)."""
    if guided_p < threshold:
        return "unchanged"
    if not moved:
        return "already"
    if judge_top != str(target):
        return "flip"
    return "generated" if realistic else "unrealistic"


def quantize(images: torch.Tensor) -> torch.Tensor:
    """What the 8-bit PNG holds: clip to [0, 1], round to 1/255."""
    return torch.round(images.clamp(0, 1) * 255) / 255


@torch.no_grad()
def judge_images(
    judge: Judge, images: torch.Tensor, guided: GuidedModel, target: int, threshold: float,
    guided_p: list[float] | None = None, starts: torch.Tensor | None = None,
) -> list[dict[str, Any]]:
    """One verdict per (B, 1, H, W) image, with the numbers behind it.

    `guided_p` is the guided model's p(target) as the loop measured it (on the tensor it
    optimised); without it, it is measured on `images`. Either way ``p_target_saved`` is
    re-measured on the 8-bit greyscale image that was actually written. With the `starts`
    the images began from, an image whose saved pixels equal its start's gets ``already``.
    """
    judge.model.eval()
    guided = guided.eval()
    images = images.float().cpu()
    saved = quantize(images)
    device = next(guided.parameters()).device
    if guided_p is None:
        guided_p = guided(images.to(device)).softmax(1)[:, guided.target_index].cpu().tolist()
    guided_p_saved = guided(saved.to(device)).softmax(1)[:, guided.target_index].cpu()
    judge_probs = judge.model(saved).softmax(1)
    distances = judge.index.nearest(saved)
    moved = [True] * len(images) if starts is None else [
        not torch.equal(saved[i], start) for i, start in enumerate(quantize(starts.float().cpu()))]
    results = []
    for i in range(len(images)):
        top = int(judge_probs[i].argmax())
        realistic = bool(distances[i] <= judge.index.cutoff)
        p, p_saved = float(guided_p[i]), float(guided_p_saved[i])
        results.append({
            "verdict": decide(p, threshold, str(top), target, realistic, moved[i]),
            "p_target": p,
            "p_target_saved": p_saved,
            "survives_saving": None if p < threshold else p_saved >= threshold,
            "judge_top": str(top),
            "judge_p_top": float(judge_probs[i, top]),
            "judge_p_target": float(judge_probs[i, target]),
            "nn_distance": float(distances[i]),
            "realism_cutoff": judge.index.cutoff,
            "realistic": realistic,
        })
    return results


def verdict_counts(verdicts: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(v["verdict"] == name for v in verdicts) for name in VERDICTS}


