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
``unrealistic``: the judge agrees, but the image is far from every real digit of the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from guidance.config import JUDGE_CONFIG
from guidance.data import MnistData
from guidance.models import GuidedModel, load_model, preset_folder, save_model

VERDICTS = ("unchanged", "flip", "generated", "unrealistic")
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
    on_train: Callable[[Path], list] | None = None,
) -> Judge:
    """The cached judge (trained first, via ``on_train`` for progress, if missing) and the index."""
    if folder is not None:
        model = load_model(folder)
    else:
        folder = preset_folder(JUDGE_CONFIG, data().fingerprint)
        if not (folder / "metrics.json").is_file():
            from guidance.training import train_classifier

            callbacks = on_train(folder) if on_train else []
            save_model(train_classifier(JUDGE_CONFIG, data(), callbacks=callbacks, name="judge"), folder)
        model = load_model(folder)
    from guidance.errors import ModelError

    if model.class_names != [str(digit) for digit in range(10)]:
        raise ModelError(f"{folder} is not a judge: it must classify all ten digits, not {model.class_names}")
    return Judge(model, build_realism_index(data(), target))


def decide(guided_p: float, threshold: float, judge_top: str, target: int, realistic: bool) -> str:
    """The verdict for one image (see module docstring)."""
    if guided_p < threshold:
        return "unchanged"
    if judge_top != str(target):
        return "flip"
    return "generated" if realistic else "unrealistic"


def quantize(images: torch.Tensor) -> torch.Tensor:
    """What the 8-bit PNG holds: clip to [0, 1], round to 1/255."""
    return torch.round(images.clamp(0, 1) * 255) / 255


@torch.no_grad()
def judge_images(
    judge: Judge, images: torch.Tensor, guided: GuidedModel, target: int, threshold: float,
    guided_p: list[float] | None = None,
) -> list[dict[str, Any]]:
    """One verdict per (B, 1, H, W) image, with the numbers behind it.

    `guided_p` is the guided model's p(target) as the loop measured it (on the tensor it
    optimised); without it, it is measured on `images`. Either way ``p_target_saved`` is
    re-measured on the 8-bit greyscale image that was actually written.
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
    results = []
    for i in range(len(images)):
        top = int(judge_probs[i].argmax())
        realistic = bool(distances[i] <= judge.index.cutoff)
        p, p_saved = float(guided_p[i]), float(guided_p_saved[i])
        results.append({
            "verdict": decide(p, threshold, str(top), target, realistic),
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


def verdict_counts(verdicts: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(v["verdict"] == name for v in verdicts) for name in VERDICTS}


def load_images_to_judge(path: str | Path) -> np.ndarray:
    """Images to judge from an .npz, a folder of PNGs, or a run folder: float32 (B, 28, 28) in [0, 1]."""
    from guidance.errors import RunFolderError
    from guidance.runs import load_images
    from guidance.starts import load_image_file

    path = Path(path)
    if path.is_dir() and any((path / name).is_file() for name in ("images.npz", "summary.json", "config.toml")):
        return load_images(path)["final"]  # a run folder
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
        if not files:
            raise RunFolderError(f"{path} holds no images (.png, .jpg, .bmp) and is not a run folder")
        return np.stack([_image_file(file, load_image_file) for file in files])
    if path.suffix == ".npz" and path.is_file():
        return _npz_images(path)
    raise RunFolderError(f"{path} is not a run folder, a folder of images or an .npz file")


def _image_file(path: Path, loader) -> np.ndarray:
    from PIL import Image

    from guidance.errors import StartError

    with Image.open(path) as image:
        if image.mode not in ("L", "LA", "RGB", "RGBA", "P"):
            raise StartError(f"{path} has image mode {image.mode}; use 8-bit greyscale or RGB")
    return loader(path)[0, 0].numpy()


def _npz_images(path: Path) -> np.ndarray:
    import zipfile

    from guidance.errors import RunFolderError

    try:
        with np.load(path, allow_pickle=False) as archive:
            names = archive.files
            key = next((k for k in ("final", "images") if k in names), names[0] if len(names) == 1 else None)
            if key is None:
                raise RunFolderError(f"{path} holds {names or 'no arrays'}; expected 'final' or 'images'")
            images = archive[key]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise RunFolderError(f"{path} is not a readable .npz ({error})") from None
    images = images[None] if images.ndim == 2 else images
    images = images[:, 0] if images.ndim == 4 and images.shape[1] == 1 else images
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise RunFolderError(f"{path}: '{key}' has shape {images.shape}; expected (B, 28, 28)")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255
    return images.astype(np.float32)
