"""What ``--model`` names, turned into a loaded model: a preset is trained first if missing."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from guidance.config import MODEL_PRESETS, TrainConfig
from guidance.data.mnist import MnistData
from guidance.errors import ModelError
from guidance.models.guided import GuidedModel
from guidance.models.store import load_model, preset_folder, save_model


def resolve_model(
    spec: str, target: int, data: Callable[[], MnistData], trust_pickle: bool = False,
    on_train: Callable[[TrainConfig, Path], list] | None = None,
) -> GuidedModel:
    """Turn --model (a preset name, a model folder or a learner .pkl) into a loaded model.

    A preset missing from the cache is trained first; ``on_train(config, folder)``
    is called before that, so the caller can say so, and returns fastai callbacks.
    """
    if spec in MODEL_PRESETS:
        config = MODEL_PRESETS[spec].override(target=target)
        folder = preset_folder(config, data().fingerprint)
        if not (folder / "metrics.json").is_file():
            from guidance.training.classifier import train_classifier

            callbacks = on_train(config, folder) if on_train else []
            save_model(train_classifier(config, data(), callbacks=callbacks, name=spec), folder)
        return load_model(folder, target)
    path = Path(spec).expanduser()
    if path.suffix == ".pkl":
        from guidance.models.learner_import import load_fastai_learner

        return load_fastai_learner(path, target, trust_pickle)
    if path.is_dir():
        return load_model(path, target)
    raise ModelError(
        f"model '{spec}' is neither a preset ({', '.join(MODEL_PRESETS)}) "
        "nor an existing model folder or learner .pkl"
    )
