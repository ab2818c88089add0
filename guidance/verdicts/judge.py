"""Verdicts about the image: what it is, and whether a person would take it for a real one.

Every image is measured by models that took no part in the guidance:
- the **judge**, a separate classifier with an 11th class, "none" (noise, blobs, strokes,
  textures), says which class the image is (``JUDGE_CONFIG``);
- the **realism** measures of ``verdicts.realism`` (the critic, distances in the judge's
  features), each cutoff calibrated on held-out real images of the target.

The verdicts, the same for ``guide run``, ``guide diffuse`` and ``guide judge``:
``generated``: the judge is sure it is the target, and it looks real: a person would take it for one;
``artificial``: recognisably the target, but not real-looking (blurry or blocky strokes, speckle,
stray marks, a template): the judge reads the target, the realism measures refuse it;
``flip``: the guided model is sure of the target, the judge sees another class;
``unchanged``: the image did not become the target (the judge sees another class, and the guided
model is not sure of the target either);
``already``: the saved image equals its start and the judge reads the target: nothing was guided;
``unrealistic``: the judge sees none of the classes: noise, texture, a blob, nothing.
The guided model's certainty is reported beside the verdict (``reached_threshold``, and the run's
``reached_step``); it decides only between ``flip`` and ``unchanged``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from guidance.configs import critic_config, judge_config
from guidance.core.errors import ModelError
from guidance.data.loading import ImageData
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model
from guidance.training.presets import OnTrain, cached_or_trained
from guidance.verdicts.names import VERDICTS
from guidance.verdicts.realism import RealismIndex, artificial_p, build_realism_index, digit_features, grey_share

JUDGE_FLOOR = 0.8  # the judge must be fairly sure of the target: blurry mean 8s get 0.6-0.7, real test 8s 1.0 (median)
# Fashion-MNIST's three shoe classes share a silhouette: 3.4% of real test sneakers that the judge
# calls sneakers get p < 0.8 (under 1% of real 8s do), so the floor there is 0.6 ("more than every
# other class together, clearly"); the calibrated quantile still raises it when the judge allows.
JUDGE_FLOORS = {"mnist": JUDGE_FLOOR, "fashion-mnist": 0.6}
NONE = "none"


@dataclass
class Judge:
    """The judge classifier, the realism critic and the calibrated realism index for one target."""

    model: GuidedModel
    critic: GuidedModel
    index: RealismIndex


def load_critic(data: Callable[[], ImageData], on_train: OnTrain | None = None) -> GuidedModel:
    """The realism critic of the data set (cached, shipped, or trained first via ``on_train``)."""
    dataset = data().spec.name
    folder, _ = cached_or_trained(critic_config(dataset), "critic", data, on_train)
    return load_model(folder, dataset=dataset).eval()


def load_judge(
    data: Callable[[], ImageData], target: int, folder: str | Path | None = None,
    on_train: OnTrain | None = None,
) -> Judge:
    """The judge (cached, shipped, or trained first via ``on_train``), the critic and the realism index."""
    dataset = data().spec
    if folder is None:
        folder, _ = cached_or_trained(judge_config(dataset.name), "judge", data, on_train)
    model = load_model(folder, dataset=dataset.name).eval()
    if model.class_names[:len(dataset.classes)] != list(dataset.classes):
        raise ModelError(f"{folder} is not a judge: it must classify every {dataset.name} class, not {model.class_names}")
    critic = load_critic(data, on_train)
    return Judge(model, critic, build_realism_index(data(), target, model, critic, JUDGE_FLOORS[dataset.name]))


def decide(judge_top: str, target: str, judge_sure: bool, realistic: bool, guided_sure: bool, moved: bool = True) -> str:
    """The verdict for one image (see the module docstring); `target` and `judge_top` are class names."""
    if judge_top == NONE:
        return "unrealistic"
    if judge_top != target:
        return "unchanged" if not moved or not guided_sure else "flip"
    if not moved:
        return "already"
    return "generated" if judge_sure and realistic else "artificial"


def quantize(images: torch.Tensor) -> torch.Tensor:
    """What the 8-bit PNG holds: clip to [0, 1], round to 1/255."""
    return torch.round(images.clamp(0, 1) * 255) / 255


@torch.no_grad()
def judge_images(
    judge: Judge, images: torch.Tensor, guided: GuidedModel | None, target: int, threshold: float,
    guided_p: list[float | None] | None = None, starts: torch.Tensor | None = None,
) -> list[dict[str, Any]]:
    """One verdict per (B, 1, H, W) image, with the numbers behind it.

    `guided_p` is the guided model's p(target) as the loop measured it (on the tensor it
    optimised); without it, it is measured on `images`. Either way ``p_target_saved`` is
    re-measured on the 8-bit greyscale image that was actually written. With no `guided` model
    (a denoiser made the images), `guided_p` may hold None: nothing claimed the target, so an image
    of another class is ``unchanged``, never a ``flip``. With the `starts` the images began from,
    an image whose saved pixels equal its start's is ``already`` (or ``unchanged``).
    """
    images = images.float().cpu()
    saved = quantize(images)
    if guided is None:
        guided_p_saved = [None] * len(images)
        guided_p = guided_p if guided_p is not None else [None] * len(images)
    else:
        guided = guided.eval()
        device = next(guided.parameters()).device
        if guided_p is None:
            guided_p = guided(images.to(device)).softmax(1)[:, guided.target_index].cpu().tolist()
        guided_p_saved = guided(saved.to(device)).softmax(1)[:, guided.target_index].cpu().tolist()
    judge_probs = judge.model.eval()(saved).softmax(1)
    target_name = judge.model.class_names[target]
    index = judge.index
    distances = index.nearest(saved)
    feature_distances = index.feature_distance(digit_features(judge.model, saved))
    critic_p = artificial_p(judge.critic, saved)
    greys = grey_share(saved)
    moved = [True] * len(images) if starts is None else [
        not torch.equal(saved[i], start) for i, start in enumerate(quantize(starts.float().cpu()))]
    results = []
    for i in range(len(images)):
        top = judge.model.class_names[int(judge_probs[i].argmax())]
        p_judge = float(judge_probs[i, target])
        realistic = bool(critic_p[i] <= index.critic_cutoff and feature_distances[i] <= index.feature_cutoff)
        p, p_saved = guided_p[i], guided_p_saved[i]
        reached = None if p is None else bool(p >= threshold)
        results.append({
            "verdict": decide(top, target_name, p_judge >= index.p_floor, realistic, bool(reached), moved[i]),
            "p_target": p,
            "reached_threshold": reached,
            "p_target_saved": p_saved,
            "survives_saving": None if not reached or p_saved is None else p_saved >= threshold,
            "judge_top": top,
            "judge_p_top": float(judge_probs[i].max()),
            "judge_p_target": p_judge,
            "judge_p_floor": index.p_floor,
            "artificial_p": float(critic_p[i]),
            "artificial_cutoff": index.critic_cutoff,
            "feature_distance": float(feature_distances[i]),
            "feature_cutoff": index.feature_cutoff,
            "nn_distance": float(distances[i]),
            "grey_share": float(greys[i]),
            "realistic": realistic,
        })
    return results


def verdict_counts(verdicts: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(v["verdict"] == name for v in verdicts) for name in VERDICTS}
