"""What ``--denoiser`` and a classifier-guidance ``--model`` name, turned into loaded models.

Like the classifiers: the user's cache first, then the model shipped with the package,
else it is trained now (under the cache lock, so two commands train it once).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from guidance.configs import DENOISER_PRESETS, NOISY_MODEL, DenoiserConfig, NoisyClassifierConfig
from guidance.core.datasets import check_same_dataset, get_dataset
from guidance.core.errors import ModelError
from guidance.data.loading import ImageData
from guidance.diffusion.classifier import NOISY_FORMAT, NoisyClassifier, load_noisy_classifier
from guidance.diffusion.denoiser import Denoiser, load_denoiser
from guidance.models.guided import GuidedModel
from guidance.models.store import save_weights
from guidance.training.presets import OnTrain, cached_or_trained, check_model_spec, resolve_model


def denoiser_preset(spec: str, dataset: str) -> DenoiserConfig:
    """The denoiser recipe a preset name means for a run on `dataset`; another data set's is refused."""
    check_same_dataset(None if spec == "default" else spec, dataset, f"denoiser '{spec}'")
    return DenoiserConfig(dataset=dataset)


def _train_denoiser(config: DenoiserConfig, data: ImageData, callbacks: list, name: str, folder: Path) -> None:
    from guidance.diffusion.training import train_denoiser

    denoiser = train_denoiser(config, data, callbacks, name)
    save_weights(denoiser.unet, denoiser.info, folder)


def _train_noisy(config: NoisyClassifierConfig, data: ImageData, callbacks: list, name: str, folder: Path) -> None:
    from guidance.diffusion.training import train_noisy_classifier

    classifier = train_noisy_classifier(config, data, callbacks, name)
    save_weights(classifier.net, classifier.info, folder)


def train_diffusion_model(config: DenoiserConfig | NoisyClassifierConfig, data: ImageData, folder: Path,
                          callbacks: list = ()) -> None:
    """Train a denoiser or a noise-aware classifier into `folder` (``guide train --preset denoiser | noisy``)."""
    if isinstance(config, DenoiserConfig):
        _train_denoiser(config, data, list(callbacks), "denoiser", folder)
    else:
        _train_noisy(config, data, list(callbacks), NOISY_MODEL, folder)


def cached_folder(
    config: DenoiserConfig | NoisyClassifierConfig, data: Callable[[], ImageData], on_train: OnTrain | None = None,
    use_shipped: bool = True,
) -> tuple[Path, str]:
    """The folder of the denoiser or noise-aware classifier `config` trains, and how it was found."""
    tag = get_dataset(config.dataset).cache_tag(getattr(config, "target", None))
    if isinstance(config, DenoiserConfig):
        prefix = "-".join(filter(None, ["denoiser", tag]))
        return cached_or_trained(config, "denoiser", data, on_train, use_shipped, _train_denoiser, prefix)
    return cached_or_trained(config, NOISY_MODEL, data, on_train, use_shipped, _train_noisy, f"noisy-{tag}")


def resolve_denoiser(spec: str, data: Callable[[], ImageData], on_train: OnTrain | None = None,
                     dataset: str | None = None) -> Denoiser:
    """A denoiser preset (cache, shipped, else trained now) or a denoiser folder, for `dataset` (default: the data's)."""
    dataset = dataset or data().dataset
    if spec in DENOISER_PRESETS:
        return load_denoiser(cached_folder(denoiser_preset(spec, dataset), data, on_train)[0], dataset)
    if Path(spec).expanduser().is_dir():
        return load_denoiser(Path(spec).expanduser(), dataset)
    raise ModelError(f"denoiser '{spec}' is neither a preset ({', '.join(DENOISER_PRESETS)}) nor a denoiser folder")


def noisy_classifier(target: int, data: Callable[[], ImageData], on_train: OnTrain | None = None,
                     dataset: str | None = None) -> NoisyClassifier:
    """The noise-aware classifier for `target` on `dataset` (default: the data's): cache, shipped, else trained now."""
    dataset = dataset or data().dataset
    config = NoisyClassifierConfig(dataset=dataset, target=target)
    return load_noisy_classifier(cached_folder(config, data, on_train)[0], target, dataset)


def check_guide_classifier_spec(spec: str) -> None:
    """Refuse a classifier-guidance --model that names nothing, before any data is loaded."""
    if spec == NOISY_MODEL:
        return
    try:
        check_model_spec(spec)
    except ModelError as error:
        raise ModelError(f"{error}; or '{NOISY_MODEL}', the noise-aware classifier") from None


def resolve_guide_classifier(
    spec: str, target: int, data: Callable[[], ImageData], trust_pickle: bool = False,
    on_train: OnTrain | None = None, dataset: str | None = None,
) -> NoisyClassifier | GuidedModel:
    """The classifier of classifier guidance: 'noisy' (noise-aware) or any model ``guide run`` takes."""
    if spec == NOISY_MODEL:
        return noisy_classifier(target, data, on_train, dataset)
    if _folder_format(Path(spec).expanduser()) == NOISY_FORMAT:
        return load_noisy_classifier(Path(spec).expanduser(), target, dataset or data().dataset)
    return resolve_model(spec, target, data, trust_pickle, on_train, dataset)


def _folder_format(folder: Path) -> str | None:
    """The format a model folder's metrics.json declares (None when there is no readable one)."""
    try:
        return json.loads((folder / "metrics.json").read_text()).get("format")
    except (OSError, ValueError, AttributeError):
        return None
