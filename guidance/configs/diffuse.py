"""Diffusion configs: the denoiser and noise-aware classifier recipes, and one ``guide diffuse`` run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from guidance.configs.base import NO_CLASS, ConfigBase, check_target, choice, require
from guidance.configs.presets import DEVICES, NOISY_MODEL
from guidance.core.datasets import DEFAULT_DATASET, get_dataset

GUIDANCE_KINDS = ["classifier", "free", "none"]
SAMPLERS = ["ddim", "ddpm", "dpm"]
SCHEDULES = ["linear", "scaled_linear", "squaredcos_cap_v2"]


@dataclass(frozen=True)
class DenoiserConfig(ConfigBase):
    """How to train the digit-conditioned denoiser (diffusers' UNet2DModel). Its hash keys the cache."""

    kind: ClassVar[str] = "denoiser"

    dataset: str = DEFAULT_DATASET  # mnist or fashion-mnist: what it learns to draw
    width: int = 24  # channels of the UNet's first level; the two lower levels have twice as many (0.63 M parameters)
    attention: bool = True  # self-attention at the 7x7 level, where the whole digit's shape is seen at once
    epochs: int = 7  # fit_one_cycle epochs over the training digits: 7 x 421 batches of 128, about 2,950 steps
    lr: float = 2e-3  # peak one-cycle learning rate
    batch_size: int = 128  # training batch size
    label_dropout: float = 0.2  # share of training images whose digit is "none": one model, conditional and not (0.15 left unguided samples worse)
    timesteps: int = 1000  # length of the DDPM noise schedule the denoiser learns
    schedule: str = "squaredcos_cap_v2"  # beta schedule: the cosine one keeps small images from being noise too early
    ema: float = 0.999  # decay of the exponential moving average of weights that is saved (timm's ModelEmaV3)
    seed: int = 0  # seeds weights, shuffling, noise and label dropout
    train_limit: int = 0  # use at most this many training images (0 = all); for tests

    def cache_key(self) -> str:
        return "denoiser\n" + super().cache_key()

    def validate(self) -> None:
        get_dataset(self.dataset)
        for name in ("width", "epochs", "batch_size", "timesteps"):
            require(getattr(self, name) > 0, f"{name} must be > 0, got {getattr(self, name)}")
        require(self.width % 8 == 0, f"width must be a multiple of 8 (group norm), got {self.width}")
        require(math.isfinite(self.lr) and self.lr > 0, f"lr must be a finite number > 0, got {self.lr}")
        require(0 < self.label_dropout < 1, f"label_dropout must be in (0, 1), got {self.label_dropout}")
        require(0 <= self.ema < 1, f"ema must be in [0, 1), got {self.ema}")
        require(self.train_limit >= 0, f"train_limit must be >= 0, got {self.train_limit}")
        choice("schedule", self.schedule, SCHEDULES)


@dataclass(frozen=True)
class NoisyClassifierConfig(ConfigBase):
    """How to train the noise-aware "target vs rest" classifier that classifier guidance reads at every step."""

    kind: ClassVar[str] = "noisy"

    arch: str = "small_cnn"  # the network; it sees two channels: x_t and the noise level sqrt(1 - alpha_bar_t)
    dataset: str = DEFAULT_DATASET  # mnist or fashion-mnist
    target: int = 8  # the digit it separates from the rest
    epochs: int = 3  # fit_one_cycle epochs; each image gets a fresh noise level every time it is seen
    lr: float = 3e-3  # peak one-cycle learning rate
    batch_size: int = 128  # training batch size
    timesteps: int = 1000  # the denoiser's schedule: the classifier must know the same noise levels
    schedule: str = "squaredcos_cap_v2"  # the denoiser's beta schedule
    seed: int = 0  # seeds weights, shuffling and noise
    train_limit: int = 0  # use at most this many training images (0 = all); for tests

    def cache_key(self) -> str:
        return "noisy-classifier\n" + super().cache_key()

    def validate(self) -> None:
        check_target(self.target, self.dataset)
        for name in ("epochs", "batch_size", "timesteps"):
            require(getattr(self, name) > 0, f"{name} must be > 0, got {getattr(self, name)}")
        require(math.isfinite(self.lr) and self.lr > 0, f"lr must be a finite number > 0, got {self.lr}")
        require(self.train_limit >= 0, f"train_limit must be >= 0, got {self.train_limit}")
        choice("schedule", self.schedule, SCHEDULES)




@dataclass(frozen=True)
class DiffuseConfig(ConfigBase):
    """One ``guide diffuse`` run: sample from pure noise with the denoiser, guided toward a target."""

    kind: ClassVar[str] = "diffuse"

    experiment: str = "diffuse"  # a name for the run folder and tables
    guidance: str = "free"  # none (the denoiser alone), classifier (a classifier's gradient), free (classifier-free)
    scale: float = 2.0  # guidance scale s; 'free' uses diffusers' convention eps_u + s (eps_c - eps_u), so s = 1 is plain conditional
    model: str = NOISY_MODEL  # classifier for 'classifier' guidance: noisy (noise-aware), robust, standard, blog, a folder or a .pkl
    denoiser: str = "default"  # the denoiser: 'default' (the data set's own: cache, shipped, or trained now) or a denoiser folder
    dataset: str = DEFAULT_DATASET  # mnist or fashion-mnist: the denoiser, the classifiers and the judge all come from it
    target: int = 8  # the class to generate: an index, or a name ('sneaker')
    negative: int = NO_CLASS  # a class to steer away from, like a negative prompt (an index or a name; -1 = none)
    start: str = "noise"  # noise (pure N(0, I)), or an image-to-image start as `guide run` takes it: digit:2, test:2:5, file:x.png
    strength: float = 1.0  # image-to-image (SDEdit): noise the start to timestep strength x T and denoise from there; 1 = from pure noise
    sampler: str = "ddim"  # ddim (deterministic), ddpm (ancestral), dpm (DPM-Solver++, fewer steps)
    sampling_steps: int = 50  # denoising steps taken out of the schedule's timesteps
    batch: int = 16  # images sampled at once; image i starts from the noise of seed + i
    seed: int = 0  # seeds the start noise (and the ddpm sampler's noise); same seed, same images
    snapshot_every: int = 5  # sampling steps between saved frames of x_t and of the predicted clean image
    threshold: float = 0.5  # classifier guidance: the guiding classifier's p(target) from which it calls the image the target (below: 'unchanged')
    device: str = "auto"  # auto, cpu or cuda
    judge: bool = True  # give every image a verdict and the batch its set metrics
    tensorboard: str = ""  # also log the sampling to TensorBoard under this folder ('' = not): x_t and x0_hat per snapshot

    def validate(self) -> None:
        check_target(self.target, self.dataset)
        choice("guidance", self.guidance, GUIDANCE_KINDS)
        choice("sampler", self.sampler, SAMPLERS)
        choice("device", self.device, DEVICES)
        require(math.isfinite(self.scale) and self.scale >= 0, f"scale must be a finite number >= 0, got {self.scale}")
        for name in ("sampling_steps", "batch", "snapshot_every"):
            value = getattr(self, name)
            require(value > 0, f"{name.replace('_', ' ')} must be > 0, got {value}")
        require(0 < self.threshold <= 1, f"threshold must be in (0, 1], got {self.threshold}")
        require(math.isfinite(self.strength) and 0 < self.strength <= 1,
                f"strength must be in (0, 1], got {self.strength}")
        require(self.start != "noise" or self.strength == 1,
                f"strength {self.strength} needs an image to start from: --start digit:2, test:2 or file:PATH")
        if self.negative != NO_CLASS:
            check_target(self.negative, self.dataset, "negative")
            require(self.negative != self.target, f"negative class {self.negative} is the target itself")
            require(self.guidance != "none", "a negative class needs guidance (free or classifier) to steer away with")
