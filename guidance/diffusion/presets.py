"""What ``--denoiser`` and a classifier-guidance ``--model`` name, turned into loaded models.

Like the classifiers: the user's cache first, then the model shipped with the package,
else it is trained now (under the cache lock, so two commands train it once).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from guidance.data.mnist import MnistData
from guidance.diffusion.classifier import NOISY_FORMAT, NoisyClassifier, load_noisy_classifier
from guidance.diffusion.denoiser import Denoiser, load_denoiser
from guidance.diffusion_config import NOISY_MODEL, DenoiserConfig, NoisyClassifierConfig
from guidance.errors import ModelError
from guidance.models.guided import GuidedModel
from guidance.models.store import save_weights
from guidance.training.presets import OnTrain, cached_or_trained, check_model_spec, resolve_model

DENOISER_PRESETS = {"mnist": DenoiserConfig()}


def _train_denoiser(config: DenoiserConfig, data: MnistData, callbacks: list, name: str, folder: Path) -> None:
    from guidance.diffusion.training import train_denoiser

    denoiser = train_denoiser(config, data, callbacks, name)
    save_weights(denoiser.unet, denoiser.info, folder)


def _train_noisy(config: NoisyClassifierConfig, data: MnistData, callbacks: list, name: str, folder: Path) -> None:
    from guidance.diffusion.training import train_noisy_classifier

    classifier = train_noisy_classifier(config, data, callbacks, name)
    save_weights(classifier.net, classifier.info, folder)


def train_diffusion_model(config: DenoiserConfig | NoisyClassifierConfig, data: MnistData, folder: Path,
                          callbacks: list = ()) -> None:
    """Train a denoiser or a noise-aware classifier into `folder` (``guide train --preset denoiser | noisy``)."""
    if isinstance(config, DenoiserConfig):
        _train_denoiser(config, data, list(callbacks), "denoiser", folder)
    else:
        _train_noisy(config, data, list(callbacks), NOISY_MODEL, folder)


def cached_folder(
    config: DenoiserConfig | NoisyClassifierConfig, data: Callable[[], MnistData], on_train: OnTrain | None = None,
    use_shipped: bool = True,
) -> tuple[Path, str]:
    """The folder of the denoiser or noise-aware classifier `config` trains, and how it was found."""
    if isinstance(config, DenoiserConfig):
        return cached_or_trained(config, "denoiser", data, on_train, use_shipped, _train_denoiser, "denoiser")
    return cached_or_trained(config, NOISY_MODEL, data, on_train, use_shipped, _train_noisy, f"noisy-t{config.target}")


def resolve_denoiser(spec: str, data: Callable[[], MnistData], on_train: OnTrain | None = None) -> Denoiser:
    """A denoiser preset (cache, shipped, else trained now) or a denoiser folder."""
    if spec in DENOISER_PRESETS:
        return load_denoiser(cached_folder(DENOISER_PRESETS[spec], data, on_train)[0])
    if Path(spec).expanduser().is_dir():
        return load_denoiser(Path(spec).expanduser())
    raise ModelError(f"denoiser '{spec}' is neither a preset ({', '.join(DENOISER_PRESETS)}) nor a denoiser folder")


def noisy_classifier(target: int, data: Callable[[], MnistData], on_train: OnTrain | None = None) -> NoisyClassifier:
    """The noise-aware classifier for `target` (cache, shipped, else trained now)."""
    return load_noisy_classifier(cached_folder(NoisyClassifierConfig(target=target), data, on_train)[0], target)


def check_guide_classifier_spec(spec: str) -> None:
    """Refuse a classifier-guidance --model that names nothing, before any data is loaded."""
    if spec == NOISY_MODEL:
        return
    try:
        check_model_spec(spec)
    except ModelError as error:
        raise ModelError(f"{error}; or '{NOISY_MODEL}', the noise-aware classifier") from None


def resolve_guide_classifier(
    spec: str, target: int, data: Callable[[], MnistData], trust_pickle: bool = False,
    on_train: OnTrain | None = None,
) -> NoisyClassifier | GuidedModel:
    """The classifier of classifier guidance: 'noisy' (noise-aware) or any model ``guide run`` takes."""
    if spec == NOISY_MODEL:
        return noisy_classifier(target, data, on_train)
    if _folder_format(Path(spec).expanduser()) == NOISY_FORMAT:
        return load_noisy_classifier(Path(spec).expanduser(), target)
    return resolve_model(spec, target, data, trust_pickle, on_train)


def _folder_format(folder: Path) -> str | None:
    """The format a model folder's metrics.json declares (None when there is no readable one)."""
    try:
        return json.loads((folder / "metrics.json").read_text()).get("format")
    except (OSError, ValueError, AttributeError):
        return None
