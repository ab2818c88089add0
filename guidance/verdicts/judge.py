"""Verdicts: tell an adversarial flip from a real 8, by itself.

Every guided image is measured by things that took no part in the guidance:
- a **judge**, a separate digit classifier with an 11th class, "none", learnt from
  noise, blobs, strokes and textures (see ``JUDGE_CONFIG``);
- a **realism index** of the real training images of the target: the pixel-L2 distance
  to the nearest one, and the distance to the k-th nearest in the judge's own feature
  space (blurry, mean-like images sit close to many digits in pixels, not in features).

Every threshold is calibrated on real digits the judge never trained on (its held-out
10% of the training set): each distance cutoff covers 99% of them. On top, the judge must give the target at least
``JUDGE_FLOOR``: the calibrated floor alone is low (about 0.1: a few real 8s are hard),
and blurry mean digits sit just above it. The test set stays an independent check.

``unchanged``: the guided model never got sure (p < threshold);
``already``: the guided model was sure from step 0 and the saved image equals the start:
nothing was guided, so there is nothing to call a flip or a generation;
``flip``: the guided model is sure, the judge sees another digit (usually the start's);
``unrealistic``: the judge says "none", is not sure of the target, or the image is
further from real digits of the target than real digits are (blobs, textures, sketches);
``generated``: the judge is sure of the target and the image is as close to real digits as real digits are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from guidance.configs import TrainConfig, judge_config
from guidance.core.errors import ModelError
from guidance.data.images import as_pixels
from guidance.data.loading import ImageData, split
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model
from guidance.training.presets import OnTrain, cached_or_trained

VERDICTS = ("unchanged", "already", "flip", "generated", "unrealistic")
CALIBRATION_QUANTILE = 0.99  # share of held-out real digits each threshold lets through
NEIGHBOURS = 5  # k of the k-th nearest neighbour in feature space
JUDGE_FLOOR = 0.8  # the judge must be fairly sure of the target: blurry mean 8s get 0.6-0.7, real test 8s 1.0 (median)
# Fashion-MNIST's three shoe classes share a silhouette: 3.4% of real test sneakers that the judge
# calls sneakers get p < 0.8 (under 1% of real 8s do), so the floor there is 0.6 ("more than every
# other class together, clearly"); the calibrated quantile still raises it when the judge allows.
JUDGE_FLOORS = {"mnist": JUDGE_FLOOR, "fashion-mnist": 0.6}
NONE = "none"


@torch.no_grad()
def digit_features(model: GuidedModel, pixels: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The judge's penultimate activations (B, F) for (B, 1, 28, 28) pixels: what its last layer reads."""
    body = model.net[:-1]
    return torch.cat([body(model.normalize(pixels[i:i + batch_size])) for i in range(0, len(pixels), batch_size)])


def kth_distance(queries: torch.Tensor, references: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each query to its k-th nearest reference (k = 1: the nearest)."""
    return torch.cdist(queries, references).kthvalue(k, dim=1).values


@dataclass(frozen=True)
class RealismIndex:
    """The real training images of one digit (those the judge trained on), and the calibrated cutoffs."""

    target: int
    references: torch.Tensor  # (N, 784) pixels in [0, 1]
    features: torch.Tensor  # (N, F) judge features of the same images
    cutoff: float  # pixel L2 to the nearest reference that covers 99% of held-out real digits
    feature_cutoff: float  # the same for the k-th nearest in feature space
    p_floor: float  # JUDGE_FLOOR, or the judge's p(target) that 99% of held-out real digits reach if higher

    def nearest(self, images: torch.Tensor) -> torch.Tensor:
        """L2 distance from each (B, 1, H, W) or (B, H, W) image to its nearest reference."""
        return kth_distance(images.reshape(len(images), -1).float(), self.references, 1)

    def feature_distance(self, features: torch.Tensor) -> torch.Tensor:
        return kth_distance(features, self.features, NEIGHBOURS)


def build_realism_index(data: ImageData, target: int, judge_model: GuidedModel) -> RealismIndex:
    """Index the target's training images; calibrate every cutoff on the judge's held-out ones."""
    seed = TrainConfig.from_dict(judge_model.info.get("train_config", {})).seed
    held_out = np.zeros(len(data.train_labels), dtype=bool)
    held_out[split(len(data.train_labels), seed)[0]] = True
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
        p_floor=max(JUDGE_FLOORS[data.dataset], float(torch.quantile(probe_p, 1 - quantile))),
    )


@dataclass
class Judge:
    """The judge classifier plus the realism index for one target."""

    model: GuidedModel
    index: RealismIndex


def load_judge(
    data: Callable[[], ImageData], target: int, folder: str | Path | None = None,
    on_train: OnTrain | None = None,
) -> Judge:
    """The judge (cached, shipped, or trained first via ``on_train``) and its calibrated realism index."""
    dataset = data().spec
    if folder is None:
        folder, _ = cached_or_trained(judge_config(dataset.name), "judge", data, on_train)
    model = load_model(folder, dataset=dataset.name)
    if model.class_names[:len(dataset.classes)] != list(dataset.classes):
        raise ModelError(f"{folder} is not a judge: it must classify every {dataset.name} class, not {model.class_names}")
    return Judge(model, build_realism_index(data(), target, model.eval()))


def decide(
    guided_p: float, threshold: float, judge_top: str, target: str, realistic: bool, moved: bool = True,
    judge_sure: bool = True,
) -> str:
    """The verdict for one image (see module docstring); `target` and `judge_top` are class names."""
    if guided_p < threshold:
        return "unchanged"
    if not moved:
        return "already"
    if judge_top not in (target, NONE):
        return "flip"
    return "generated" if judge_top == target and judge_sure and realistic else "unrealistic"


def quantize(images: torch.Tensor) -> torch.Tensor:
    """What the 8-bit PNG holds: clip to [0, 1], round to 1/255."""
    return torch.round(images.clamp(0, 1) * 255) / 255


@torch.no_grad()
def judge_images(
    judge: Judge, images: torch.Tensor, guided: GuidedModel | None, target: int, threshold: float,
    guided_p: list[float] | None = None, starts: torch.Tensor | None = None,
) -> list[dict[str, Any]]:
    """One verdict per (B, 1, H, W) image, with the numbers behind it.

    `guided_p` is the guided model's p(target) as the loop measured it (on the tensor it
    optimised); without it, it is measured on `images`. Either way ``p_target_saved`` is
    re-measured on the 8-bit greyscale image that was actually written (not when `guided` is None:
    a denoiser made the images and `guided_p` is required). With the `starts`
    the images began from, an image whose saved pixels equal its start's gets ``already``.
    """
    judge.model.eval()
    images = images.float().cpu()
    saved = quantize(images)
    if guided is None:  # a denoiser made the images: `guided_p` says how sure the process was
        guided_p_saved = [None] * len(images)
    else:
        guided = guided.eval()
        device = next(guided.parameters()).device
        if guided_p is None:
            guided_p = guided(images.to(device)).softmax(1)[:, guided.target_index].cpu().tolist()
        guided_p_saved = guided(saved.to(device)).softmax(1)[:, guided.target_index].cpu().tolist()
    judge_probs = judge.model(saved).softmax(1)
    target_name = judge.model.class_names[target]
    index = judge.index
    distances = index.nearest(saved)
    feature_distances = index.feature_distance(digit_features(judge.model, saved))
    moved = [True] * len(images) if starts is None else [
        not torch.equal(saved[i], start) for i, start in enumerate(quantize(starts.float().cpu()))]
    results = []
    for i in range(len(images)):
        top = judge.model.class_names[int(judge_probs[i].argmax())]
        p_judge = float(judge_probs[i, target])
        realistic = bool(distances[i] <= index.cutoff and feature_distances[i] <= index.feature_cutoff)
        p, p_saved = float(guided_p[i]), guided_p_saved[i]
        results.append({
            "verdict": decide(p, threshold, top, target_name, realistic, moved[i], p_judge >= index.p_floor),
            "p_target": p,
            "p_target_saved": p_saved,
            "survives_saving": None if p < threshold or p_saved is None else p_saved >= threshold,
            "judge_top": top,
            "judge_p_top": float(judge_probs[i].max()),
            "judge_p_target": p_judge,
            "judge_p_floor": index.p_floor,
            "nn_distance": float(distances[i]),
            "realism_cutoff": index.cutoff,
            "feature_distance": float(feature_distances[i]),
            "feature_cutoff": index.feature_cutoff,
            "realistic": realistic,
        })
    return results


def verdict_counts(verdicts: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(v["verdict"] == name for v in verdicts) for name in VERDICTS}


