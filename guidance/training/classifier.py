"""Train a "target vs rest" classifier with fastai and measure it on the test set.

The MNIST test set is only ever used for the final report; fastai's per-epoch
validation uses 10% of the training images held out by seed.
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import asdict, dataclass
from typing import Any, Iterable

import fastai.callback.schedule  # noqa: F401  (adds Learner.fit_one_cycle)
import numpy as np
import torch
from fastai.callback.core import Callback
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat
from fastai.metrics import error_rate
from fastai.torch_core import set_seed, trainable_params

from guidance.configs import TrainConfig
from guidance.core.datasets import check_same_dataset
from guidance.core.errors import TrainingDiverged
from guidance.data.images import as_pixels
from guidance.data.loading import ImageData, class_weights, split, target_labels
from guidance.models.guided import GuidedModel, build_model, class_names
from guidance.models.store import MODEL_FORMAT

VALID_LIMIT = 2000  # per-epoch validation images: enough to watch, cheap for big archs


class TensorBatches(DataLoader):
    """A fastai DataLoader that slices whole batches out of in-memory tensors.

    fastai's default collates item by item in Python; MNIST fits in memory, so
    indexing a batch at once is ~50x faster and keeps fastai's shuffling and seeds.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, **kwargs):
        super().__init__(dataset=(images, labels), n=len(labels), **kwargs)

    def create_batches(self, samps):
        images, labels = self.dataset
        indices = torch.as_tensor(list(samps), dtype=torch.long)
        for chunk in indices.split(self.bs):
            if self.drop_last and len(chunk) < self.bs:
                return
            yield images[chunk], labels[chunk]


class StopOnNaN(Callback):
    """Raise TrainingDiverged at the first non-finite loss (nothing gets saved)."""

    order = 1

    def after_loss(self):
        loss = float(self.learn.loss.detach())
        if not math.isfinite(loss):
            raise TrainingDiverged(
                f"training diverged: loss became {loss} at epoch "
                f"{self.epoch + 1}; try a lower --lr"
            )


class NoiseAugmentation(Callback):
    """Add Gaussian noise to training images, sigma drawn per image from U(0, max_std).

    Mixing clean and very noisy images keeps clean accuracy while making the
    model ignore small, high-frequency pixel changes (the stuff of adversarial flips).
    """

    order = 5

    def __init__(self, max_std: float):
        self.max_std = max_std

    def before_batch(self):
        if not self.training:
            return
        (images,) = self.xb
        sigma = torch.rand(images.shape[0], 1, 1, 1, device=images.device) * self.max_std
        self.learn.xb = ((images + sigma * torch.randn_like(images)).clamp(0, 1),)


class JunkClass(Callback):
    """Replace a share of each training batch by images of no digit, labelled as the last class ("none")."""

    order = 4  # before noise augmentation, so junk gets noisy too

    def __init__(self, fraction: float, none_index: int, seed: int, kinds: str = ""):
        from guidance.data.junk import junk_makers

        junk_makers(kinds)  # an unknown kind fails before training starts
        self.fraction, self.none_index, self.kinds = fraction, none_index, kinds
        self.generator = torch.Generator().manual_seed(seed)

    def before_batch(self):
        if not self.training:
            return
        from guidance.data.junk import junk_images

        (images,), (labels,) = self.xb, self.yb
        count = int(round(self.fraction * len(labels)))
        junk = junk_images(count, self.generator, self.kinds).to(images.device)
        self.learn.xb = (torch.cat([images[count:], junk]),)
        self.learn.yb = (torch.cat([labels[count:], torch.full((count,), self.none_index, device=labels.device)]),)


class ArtificialClass(Callback):
    """Give a share of each training batch artifacts (guidance/data/artifacts.py), labelled "artificial" (class 1)."""

    order = 4

    def __init__(self, fraction: float, seed: int, names: str):
        from guidance.data.artifacts import artifact_makers

        artifact_makers(names)  # an unknown name fails before training starts
        self.fraction, self.names = fraction, names
        self.generator = torch.Generator().manual_seed(seed)

    def before_batch(self):
        if not self.training:
            return
        (images,), (labels,) = self.xb, self.yb
        self.learn.xb, self.learn.yb = with_artifacts(images, labels, self.fraction, self.generator, self.names)


def with_artifacts(images: torch.Tensor, labels: torch.Tensor, fraction: float, generator: torch.Generator, names: str = ""):
    """The batch with its last `fraction` made artificial (the named artifacts) and relabelled 1: ((images,), (labels,))."""
    from guidance.data.artifacts import artificial_images

    count = int(round(fraction * len(labels)))
    made = artificial_images(images[len(labels) - count:].cpu(), generator, names).to(images.device)
    images = torch.cat([images[:len(labels) - count], made])
    labels = torch.cat([labels[:len(labels) - count], torch.ones(count, dtype=labels.dtype, device=labels.device)])
    return (images,), (labels,)


@dataclass(frozen=True)
class TestReport:
    """Held-out test metrics; for binary models class 0 is the target, class 1 the rest."""

    error_rate: float
    balanced_accuracy: float
    confusion: list[list[int]]  # rows = true class, columns = predicted class
    n: int


def task_labels(labels: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Digit labels -> the classes a model of this config predicts (for the critic every real image is 'real', 0)."""
    if config.task == "realism":
        return np.zeros_like(labels)
    return labels if config.task == "digits" else target_labels(labels, config.target)


def evaluate(model: GuidedModel, images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> TestReport:
    """Error rate, balanced accuracy (mean per-class recall) and confusion matrix.

    The critic is tested on the real images and as many made artificial (a fixed seed).
    """
    truth = torch.from_numpy(task_labels(labels, config))
    if config.task == "realism":
        pixels = as_pixels(images)
        (artificial,), (fake_labels,) = with_artifacts(pixels, torch.zeros(len(pixels), dtype=torch.long), 1.0,
                                                       torch.Generator().manual_seed(config.seed + 1), config.artifacts)
        images = np.concatenate([images, np.round(artificial.squeeze(1).numpy() * 255).astype(np.uint8)])
        truth = torch.cat([truth, fake_labels])
    predicted = predict_classes(model, images)
    classes = len(model.class_names)
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    confusion.index_put_((truth, predicted), torch.ones_like(truth), accumulate=True)
    support = confusion.sum(1)
    recalls = confusion.diag().float()[support > 0] / support[support > 0].float()  # a 'none' class has no test images
    return TestReport(
        error_rate=float((predicted != truth).float().mean()),
        balanced_accuracy=float(recalls.mean()),
        confusion=confusion.tolist(),
        n=len(truth),
    )


@torch.no_grad()
def predict_classes(model: GuidedModel, images: np.ndarray, batch_size: int = 1000) -> torch.Tensor:
    model.eval()
    device = next(model.parameters()).device
    outputs = [
        model(as_pixels(images[i : i + batch_size]).to(device)).argmax(1).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(outputs)


def make_dataloaders(config: TrainConfig, data: ImageData, device: torch.device) -> DataLoaders:
    held_out, train = split(len(data.train_labels), config.seed)
    valid = held_out[:VALID_LIMIT]
    if config.train_limit:
        train = train[: config.train_limit]
    labels = task_labels(data.train_labels, config)

    def loader(index: np.ndarray, shuffle: bool) -> TensorBatches:
        return TensorBatches(
            as_pixels(data.train_images[index]), torch.from_numpy(labels[index]),
            bs=config.batch_size, shuffle=shuffle, drop_last=shuffle, device=device,
        )

    return DataLoaders(loader(train, True), loader(valid, False), device=device)


def _body_and_head(model: GuidedModel) -> list:
    """fastai's split for vision_learner models: [body, head] parameter groups."""
    return [list(model.net[0].parameters()), list(model.net[1].parameters())]


def train_classifier(
    config: TrainConfig, data: ImageData, callbacks: Iterable[Callback] = (),
    name: str = "model", device: str = "cpu",
) -> GuidedModel:
    """Train with fastai's fit_one_cycle; return the model with its metrics in ``.info``."""
    check_same_dataset(data.dataset, config.dataset, "the data")
    set_seed(config.seed, reproducible=True)
    torch_device = torch.device(device)
    dls = make_dataloaders(config, data, torch_device)
    model = build_model(config)
    train_labels = dls.train.dataset[1].numpy()
    balance = config.balance and config.task == "binary"
    weights = torch.from_numpy(class_weights(train_labels)).to(torch_device) if balance else None
    loss = CrossEntropyLossFlat(weight=weights)
    augment = [NoiseAugmentation(config.noise_std)] if config.noise_std else []
    if config.junk_fraction:
        augment.insert(0, JunkClass(config.junk_fraction, len(model.class_names) - 1, config.seed, config.junk))
    if config.task == "realism":
        augment.insert(0, ArtificialClass(config.artifact_fraction, config.seed, config.artifacts))
    if config.robust != "none":
        from guidance.training.robust import AdversarialTraining, default_step_size

        step_size = config.robust_step_size or default_step_size(config.robust_eps, config.robust_steps)
        augment.append(AdversarialTraining(
            config.robust, config.robust_eps, config.robust_steps, step_size, config.robust_ramp))
    learn = Learner(
        dls, model, loss_func=loss, metrics=[error_rate], cbs=[StopOnNaN(), *augment, *callbacks],
        splitter=_body_and_head if config.fine_tune else trainable_params,
    )
    started = time.perf_counter()
    if hasattr(learn, "progress"):  # fastai's notebook bar, if something imported it
        learn.remove_cb(learn.progress)
    with learn.no_logging():
        if config.fine_tune:
            learn.fine_tune(config.epochs, config.lr)
        else:
            learn.fit_one_cycle(config.epochs, config.lr)
    train_seconds = time.perf_counter() - started
    model = model.cpu().eval()
    report = evaluate(model, data.test_images, data.test_labels, config)
    model.info = describe(config, data, report, train_seconds, name)
    if config.robust != "none":
        model.info["robust"] = measure_robustness(model, data, config)
    return model


def measure_robustness(model: GuidedModel, data: ImageData, config: TrainConfig) -> dict[str, Any]:
    """PGD accuracy on the first test images, with a stronger attack than training used."""
    from guidance.training.robust import robust_accuracy

    labels = task_labels(data.test_labels, config)
    return robust_accuracy(model, data.test_images, labels, config.robust, config.robust_eps, config.robust_steps).to_dict()


def describe(
    config: TrainConfig, data: ImageData, report: TestReport, train_seconds: float, name: str,
) -> dict[str, Any]:
    """Everything metrics.json records about a trained model."""
    from guidance.models.guided import NORMALIZATION

    mean, std = NORMALIZATION[config.normalize]
    return {
        "format": MODEL_FORMAT,
        "name": name,
        "arch": config.arch,
        "target": config.target if config.task == "binary" else None,
        "class_names": class_names(config),
        "channels": config.channels,
        "normalize": {"name": config.normalize, "mean": list(mean), "std": list(std)},
        "train_config": config.to_dict(),
        "dataset": config.dataset,
        "data": {"source": data.source, "fingerprint": data.fingerprint},
        "test": asdict(report),
        "train_seconds": round(train_seconds, 2),
        "versions": library_versions(),
    }


def library_versions(*extra: str) -> dict[str, str]:
    """Versions of Python and the libraries a model was trained with (plus the `extra` packages named)."""
    from importlib.metadata import version

    import fastai
    import timm

    found = {"python": platform.python_version(), "torch": torch.__version__,
             "fastai": fastai.__version__, "timm": timm.__version__}
    return found | {name: version(name) for name in extra}


class RichProgress(Callback):
    """Draw fastai's training progress with rich instead of fastai's notebook bar."""

    order = 60  # after the Recorder, so epoch metrics are ready

    def __init__(self, console=None):
        self.console = console

    def before_fit(self):
        from guidance.core.progress import progress_bar

        self.progress = progress_bar("[bold]epoch {task.fields[epoch]}", "loss {task.fields[loss]}", self.console)
        self.progress.start()
        self.task = None

    def before_epoch(self):
        total = self.n_epoch and len(self.dls.train)
        self.task = self.progress.add_task("train", total=total, epoch=f"{self.epoch + 1}/{self.n_epoch}", loss="-")

    def after_batch(self):
        if self.training:
            self.progress.update(self.task, advance=1, loss=f"{float(self.smooth_loss):.4f}")

    def after_epoch(self):
        names = self.recorder.metric_names[1:-1]
        values = self.recorder.log[1:-1]
        summary = "  ".join(f"{n} {v:.4f}" if isinstance(v, float) else f"{n} {v}" for n, v in zip(names, values))
        phase = " (body frozen)" if getattr(self.opt, "frozen_idx", 0) > 0 else ""
        self.progress.console.print(f"epoch {self.epoch + 1}/{self.n_epoch}{phase}: {summary}", highlight=False)

    def after_fit(self):
        self.progress.stop()
