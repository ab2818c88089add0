"""Train the denoiser and the noise-aware classifier with fastai, as the course trained its DDPM.

Both learn from the same forward process: a batch of clean digits, a timestep per image,
x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps. A fastai callback noises each batch
before the model sees it, so the data loaders stay the kit's in-memory ``TensorBatches``.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import fastai.callback.schedule  # noqa: F401  (adds Learner.fit_one_cycle)
import numpy as np
import torch
from fastai.callback.core import Callback
from fastai.data.core import DataLoaders
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat, MSELossFlat
from fastai.torch_core import set_seed

from guidance.configs import DenoiserConfig, NoisyClassifierConfig
from guidance.core.datasets import check_same_dataset
from guidance.data.images import as_pixels
from guidance.data.loading import ImageData, class_weights, split, target_labels
from guidance.diffusion.classifier import NOISY_FORMAT, NoisyClassifier
from guidance.diffusion.denoiser import (
    DENOISER_FORMAT,
    NONE_LABEL,
    Denoiser,
    add_noise,
    noise_scheduler,
    to_model_space,
)
from guidance.training.classifier import VALID_LIMIT, StopOnNaN, TensorBatches, library_versions

EVAL_TIMESTEPS = (0, 250, 500, 750, 999)  # noise levels the test metrics are reported at
TEST_SEED = 1234  # fixes the noise of test-set measurements


class NoiseBatch(Callback):
    """Replace each batch of (pixels, labels) by what the model learns from at a random timestep.

    ``denoiser``: inputs (x_t, t, label or "none"), target eps. ``classifier``: inputs (x_t, t), target the label.
    """

    order = 5

    def __init__(self, schedule, kind: str, seed: int, label_dropout: float = 0.0):
        self.alphas = schedule.alphas_cumprod.float()
        self.kind, self.label_dropout, self.seed = kind, label_dropout, seed
        self.generator = torch.Generator().manual_seed(seed)

    def before_validate(self):
        self.valid_generator = torch.Generator().manual_seed(self.seed + 1)  # the same noise every epoch

    def before_batch(self):
        generator = self.generator if self.training else self.valid_generator
        (pixels,), (labels,) = self.xb, self.yb
        device = pixels.device
        clean = to_model_space(pixels)
        timesteps = torch.randint(0, len(self.alphas), (len(clean),), generator=generator)
        noise = torch.randn(clean.shape, generator=generator)
        noisy = add_noise(clean, noise.to(device), timesteps.to(device), self.alphas.to(device))
        timesteps = timesteps.to(device)
        if self.kind == "classifier":
            self.learn.xb, self.learn.yb = (noisy, timesteps), (labels,)
            return
        if self.training:
            dropped = (torch.rand(len(labels), generator=generator) < self.label_dropout).to(device)
            labels = torch.where(dropped, torch.full_like(labels, NONE_LABEL), labels)
        self.learn.xb, self.learn.yb = (noisy, timesteps, labels), (noise.to(device),)


class WeightAverage(Callback):
    """Keep an exponential moving average of the weights (timm's ModelEmaV3) and end training on it."""

    order = 70

    def __init__(self, decay: float):
        self.decay = decay

    def before_fit(self):
        from timm.utils import ModelEmaV3

        self.average = ModelEmaV3(self.learn.model, decay=self.decay, use_warmup=True)  # short runs average too

    def after_step(self):
        self.average.update(self.learn.model, step=self.train_iter)

    def after_fit(self):
        self.learn.model.load_state_dict(self.average.module.state_dict())


def _loaders(data: ImageData, labels: np.ndarray, batch_size: int, seed: int, train_limit: int) -> DataLoaders:
    held_out, train = split(len(data.train_labels), seed)
    train = train[:train_limit] if train_limit else train

    def loader(index: np.ndarray, shuffle: bool) -> TensorBatches:
        return TensorBatches(as_pixels(data.train_images[index]), torch.from_numpy(labels[index]),
                             bs=batch_size, shuffle=shuffle, drop_last=shuffle)

    return DataLoaders(loader(train, True), loader(held_out[:VALID_LIMIT], False))


def _fit(learn: Learner, epochs: int, lr: float) -> float:
    """fit_one_cycle without fastai's own bar or log; returns the seconds it took."""
    if hasattr(learn, "progress"):
        learn.remove_cb(learn.progress)
    started = time.perf_counter()
    with learn.no_logging():
        learn.fit_one_cycle(epochs, lr)
    return time.perf_counter() - started


def _describe(kind_format: str, name: str, config, data: ImageData, test: dict, seconds: float) -> dict[str, Any]:
    return {
        "format": kind_format, "name": name, "train_config": config.to_dict(),
        "dataset": config.dataset,
        "data": {"source": data.source, "fingerprint": data.fingerprint},
        "test": test, "train_seconds": round(seconds, 2), "versions": library_versions("diffusers"),
    }


def train_denoiser(config: DenoiserConfig, data: ImageData, callbacks: Iterable[Callback] = (),
                   name: str = "denoiser") -> Denoiser:
    """Train the class-conditioned denoiser; its test-set noise-prediction error goes into ``.info``."""
    check_same_dataset(data.dataset, config.dataset, "the data")
    set_seed(config.seed, reproducible=True)
    schedule = noise_scheduler(config.timesteps, config.schedule)
    dls = _loaders(data, data.train_labels.astype(np.int64), config.batch_size, config.seed, config.train_limit)
    denoiser = Denoiser(config)
    learn = Learner(dls, denoiser, loss_func=MSELossFlat(), cbs=[
        StopOnNaN(), NoiseBatch(schedule, "denoiser", config.seed, config.label_dropout),
        *([WeightAverage(config.ema)] if config.ema else []), *callbacks])
    seconds = _fit(learn, config.epochs, config.lr)
    denoiser = denoiser.cpu().eval()
    denoiser.info = _describe(DENOISER_FORMAT, name, config, data, denoiser_test_loss(denoiser, data), seconds)
    return denoiser


@torch.no_grad()
def denoiser_test_loss(denoiser: Denoiser, data: ImageData, count: int = 2000) -> dict[str, Any]:
    """Mean squared error of the predicted noise on test digits, per noise level, with and without the digit."""
    alphas = noise_scheduler(denoiser.config.timesteps, denoiser.config.schedule).alphas_cumprod.float()
    clean = to_model_space(as_pixels(data.test_images[:count]))
    labels = torch.from_numpy(data.test_labels[:count].astype(np.int64))
    generator = torch.Generator().manual_seed(TEST_SEED)
    result: dict[str, Any] = {"n": len(clean), "mse_conditional": {}, "mse_unconditional": {}}
    for step in EVAL_TIMESTEPS:
        step = min(step, len(alphas) - 1)
        noise = torch.randn(clean.shape, generator=generator)
        timesteps = torch.full((len(clean),), step)
        noisy = add_noise(clean, noise, timesteps, alphas)
        for key, given in (("mse_conditional", labels), ("mse_unconditional", torch.full_like(labels, NONE_LABEL))):
            predicted = torch.cat([denoiser(noisy[i:i + 500], timesteps[i:i + 500], given[i:i + 500])
                                   for i in range(0, len(clean), 500)])
            result[key][str(step)] = round(float(((predicted - noise) ** 2).mean()), 5)
    return result


def train_noisy_classifier(config: NoisyClassifierConfig, data: ImageData, callbacks: Iterable[Callback] = (),
                           name: str = "noisy") -> NoisyClassifier:
    """Train the noise-aware "target vs rest" classifier; its test accuracy per noise level goes into ``.info``."""
    check_same_dataset(data.dataset, config.dataset, "the data")
    set_seed(config.seed, reproducible=True)
    schedule = noise_scheduler(config.timesteps, config.schedule)
    labels = target_labels(data.train_labels, config.target)
    dls = _loaders(data, labels, config.batch_size, config.seed, config.train_limit)
    classifier = NoisyClassifier(config)
    weights = torch.from_numpy(class_weights(dls.train.dataset[1].numpy()))  # the images it trains on
    learn = Learner(dls, classifier, loss_func=CrossEntropyLossFlat(weight=weights),
                    cbs=[StopOnNaN(), NoiseBatch(schedule, "classifier", config.seed), *callbacks])
    seconds = _fit(learn, config.epochs, config.lr)
    classifier = classifier.cpu().eval()
    test = noisy_test_accuracy(classifier, data)
    classifier.info = _describe(NOISY_FORMAT, name, config, data, test, seconds) | {"target": config.target}
    return classifier


@torch.no_grad()
def noisy_test_accuracy(classifier: NoisyClassifier, data: ImageData) -> dict[str, Any]:
    """Balanced accuracy of target vs rest on the whole test set at each reported noise level."""
    alphas = classifier.noise_level.new_tensor(1) - classifier.noise_level ** 2
    clean = to_model_space(as_pixels(data.test_images))
    truth = torch.from_numpy(target_labels(data.test_labels, classifier.config.target))
    generator = torch.Generator().manual_seed(TEST_SEED)
    accuracy = {}
    for step in EVAL_TIMESTEPS:
        step = min(step, len(alphas) - 1)
        timesteps = torch.full((len(clean),), step)
        noisy = add_noise(clean, torch.randn(clean.shape, generator=generator), timesteps, alphas)
        predicted = torch.cat([classifier(noisy[i:i + 1000], timesteps[i:i + 1000]).argmax(1)
                               for i in range(0, len(clean), 1000)])
        recalls = [float((predicted[truth == c] == c).float().mean()) for c in (0, 1)]
        accuracy[str(step)] = round(sum(recalls) / 2, 4)
    return {"n": len(truth), "balanced_accuracy": accuracy}
