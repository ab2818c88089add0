"""Bring your own fastai learner: a ``learn.export()`` pickle, with consent.

Unpickling runs arbitrary code, so it happens only with ``trust_pickle=True``
(``--trust-pickle``). The learner's input channels, normalisation and which
output is the target are read from the learner itself.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from guidance.core.errors import ModelError
from guidance.models.guided import GuidedModel


def load_fastai_learner(path: str | Path, target: int, trust_pickle: bool) -> GuidedModel:
    """Load an exported fastai learner as a GuidedModel for `target`."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"learner file not found: {path}")
    if not trust_pickle:
        raise ModelError(
            f"refusing to unpickle {path}: loading a pickled learner runs code from the file; "
            "pass --trust-pickle if you trust where it came from"
        )
    import warnings

    from fastai.learner import load_learner

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            learn = load_learner(path, cpu=True)
    except Exception as error:  # pickle can fail in many ways; all mean "not loadable"
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ModelError(f"{path} is not a loadable fastai learner ({first_line})") from None
    vocab = [str(name) for name in getattr(learn.dls, "vocab", [])]
    if str(target) not in vocab:
        raise ModelError(f"{path}: its classes {vocab} do not include the target '{target}'")
    mean, std = _normalization(learn)
    channels = _input_channels(learn.model)
    info = {
        "name": path.name, "source": f"fastai learner {path.resolve()}", "target": target,
        "class_names": vocab, "channels": channels, "mean": list(mean), "std": list(std),
    }
    model = GuidedModel(learn.model, channels, mean, std, vocab, vocab.index(str(target)), info)
    return model.eval()


def _normalization(learn) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std of the learner's Normalize transform, or identity if it has none."""
    for transform in getattr(learn.dls, "after_batch", []):
        if type(transform).__name__ == "Normalize" and getattr(transform, "mean", None) is not None:
            return (
                tuple(float(v) for v in transform.mean.flatten()),
                tuple(float(v) for v in transform.std.flatten()),
            )
    return (0.0,), (1.0,)


def _input_channels(model: nn.Module) -> int:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ModelError("cannot tell the learner's input channels: it has no Conv2d layer")
