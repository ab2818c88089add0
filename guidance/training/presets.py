"""What ``--model`` names, turned into a loaded model: the user's cache, the shipped model, or training."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from guidance.configs import DEFAULT_MODEL, MODEL_PRESETS, ConfigBase, TrainConfig
from guidance.core.errors import ModelError
from guidance.data.loading import ImageData
from guidance.models.guided import GuidedModel
from guidance.models.shipped import shipped_folder
from guidance.models.store import cache_lock, is_model_folder, load_model, preset_folder, save_model

OnTrain = Callable[[ConfigBase, Path], list]  # called before training: says so, returns fastai callbacks
Trainer = Callable[[ConfigBase, ImageData, list, str, Path], None]  # trains with these callbacks, saves into the folder


def cached_or_trained(
    config: ConfigBase, name: str, data: Callable[[], ImageData], on_train: OnTrain | None = None,
    use_shipped: bool = True, trainer: Trainer | None = None, prefix: str | None = None,
) -> tuple[Path, str]:
    """The folder of the model `config` makes, and how it was found: 'cached', 'shipped' or 'trained'.

    The user's cache comes first (a model they trained wins), then the model shipped with
    the package, else the model is trained now. A lock around the cache entry makes
    concurrent commands train it once: the others wait, then load what it saved.
    `trainer` trains and saves another kind of model (a denoiser); the default is a classifier.
    """
    folder = preset_folder(config, data().fingerprint, prefix)
    if is_model_folder(folder):
        return folder, "cached"
    shipped = shipped_folder(name, config) if use_shipped else None
    if shipped is not None:
        return shipped, "shipped"
    with cache_lock(folder):
        if is_model_folder(folder):  # another process trained it while this one waited
            return folder, "cached"
        callbacks = on_train(config, folder) if on_train else []
        (trainer or _train_classifier)(config, data(), callbacks, name, folder)
    return folder, "trained"


def _train_classifier(config: TrainConfig, data: ImageData, callbacks: list, name: str, folder: Path) -> None:
    from guidance.training.classifier import train_classifier

    save_model(train_classifier(config, data, callbacks=callbacks, name=name), folder)


def resolve_model(
    spec: str, target: int, data: Callable[[], ImageData], trust_pickle: bool = False,
    on_train: OnTrain | None = None, dataset: str | None = None,
) -> GuidedModel:
    """Turn --model (a preset name, a model folder or a learner .pkl) into a loaded model for `dataset`.

    Only a preset needs the data (its cache entry is keyed by the data's fingerprint).
    """
    dataset = dataset or data().dataset
    if spec in MODEL_PRESETS:
        preset = MODEL_PRESETS[spec]
        # A model of every class serves every target: one cache entry, the target picked when it is loaded.
        config = preset.override(dataset=dataset) if preset.task == "digits" else preset.override(dataset=dataset, target=target)
        folder, _ = cached_or_trained(config, spec, data, on_train)
        return load_model(folder, target, dataset)
    check_model_spec(spec)
    path = Path(spec).expanduser()
    if path.suffix == ".pkl":
        from guidance.models.learner_import import load_fastai_learner

        return load_fastai_learner(path, target, trust_pickle)
    return load_model(path, target, dataset)


def check_model_spec(spec: str) -> None:
    """Refuse a --model that is no preset, model folder or .pkl at once, before any data is loaded."""
    path = Path(spec).expanduser()
    if path.suffix == ".pkl" and not path.is_file():
        raise ModelError(f"learner file not found: {path}")
    if spec in MODEL_PRESETS or path.suffix == ".pkl" or path.is_dir():
        return
    hint = f" ('default' is now 'standard', the plain CNN; the default model is '{DEFAULT_MODEL}')" if spec == "default" else ""
    raise ModelError(
        f"model '{spec}' is neither a preset ({', '.join(MODEL_PRESETS)}) "
        f"nor an existing model folder or learner .pkl{hint}"
    )
