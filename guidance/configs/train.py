"""How a "target vs rest" classifier (or the ten-class judge) is trained: ``guide train``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import tomli_w
import tomllib

from guidance.configs.base import ConfigBase, check_target, positive, require
from guidance.core.datasets import DEFAULT_DATASET
from guidance.core.registry import did_you_mean

TASKS = ("binary", "digits", "realism")


@dataclass(frozen=True)
class TrainConfig(ConfigBase):
    """How to train a "target vs rest" classifier. Its hash keys the model cache."""

    kind: ClassVar[str] = "train"

    arch: str = "small_cnn"  # registry name (see `guide train --help`) or any timm model name
    dataset: str = DEFAULT_DATASET  # mnist or fashion-mnist: what it learns from, recorded with the model
    target: int = 8  # the class (index) the classifier separates from the other nine; a name works too
    epochs: int = 3  # fit_one_cycle epochs; 3 reach <0.5% test error with the default CNN
    lr: float = 3e-3  # peak one-cycle learning rate
    batch_size: int = 128  # training batch size
    seed: int = 0  # seeds weights, shuffling and the validation split
    train_limit: int = 0  # use at most this many training images (0 = all); for tests and slow archs
    channels: int = 1  # input channels the network sees (3 = grey copied to RGB, as fastai does)
    normalize: str = "mnist"  # input statistics: 'mnist', 'imagenet' (the write-up's), or 'none'
    balance: bool = True  # weight the loss so both classes count equally; false = the write-up's 1:9
    fine_tune: bool = False  # fastai's fine_tune (1 epoch body frozen, then discriminative lrs), as the write-up did
    task: str = "binary"  # 'binary' (target vs rest), 'digits' (all ten classes, for the judge) or 'realism' (the critic)
    noise_std: float = 0.0  # Gaussian noise augmentation: each training image gets sigma ~ U(0, noise_std)
    junk_fraction: float = 0.0  # 'digits' only: this share of each batch becomes images of no digit, an 11th class "none"
    junk: str = ""  # 'digits' with junk_fraction: the kinds of junk, comma-separated ('' = the judge's five; guidance/data/junk.py)
    artifact_fraction: float = 0.5  # 'realism' only: this share of each batch gets artifacts (guidance/data/artifacts.py), class "artificial"
    artifacts: str = ""  # 'realism' only: the artifacts it learns, comma-separated names ('' = every one)
    robust: str = "none"  # adversarial training: 'none', or PGD in the 'l2' or 'linf' norm (guidance/training/robust.py)
    robust_eps: float = 2.0  # PGD radius in pixel units [0, 1]; L2 2.0 is ~20% of an 8's norm
    robust_steps: int = 5  # PGD steps per training batch (evaluation uses 4x as many, at least 20)
    robust_step_size: float = 0.0  # PGD step size; 0 = 2.5 * eps / steps (Madry et al.)
    robust_ramp: float = 1.0  # epochs over which eps grows from 0 (full eps at once collapses the model)

    def cache_key(self) -> str:
        """The changed fields, always with the architecture and target first."""
        return tomli_w.dumps({"arch": self.arch, "target": self.target} | tomllib.loads(super().cache_key()))

    def validate(self) -> None:
        check_target(self.target, self.dataset)
        require(self.epochs > 0, f"epochs must be > 0, got {self.epochs}")
        require(self.batch_size > 0, f"batch size must be > 0, got {self.batch_size}")
        positive("learning rate", self.lr)
        require(self.train_limit >= 0, f"train_limit must be >= 0, got {self.train_limit}")
        require(self.channels in (1, 3), f"channels must be 1 or 3, got {self.channels}")
        require(self.task in TASKS, f"task must be one of {', '.join(TASKS)}, got '{self.task}'")
        require(self.noise_std >= 0, f"noise_std must be >= 0, got {self.noise_std}")
        require(0 <= self.junk_fraction < 1, f"junk_fraction must be in [0, 1), got {self.junk_fraction}")
        require(self.junk_fraction == 0 or self.task == "digits", "junk_fraction (a 'none' class) needs task 'digits'")
        require(0 < self.artifact_fraction < 1, f"artifact_fraction must be in (0, 1), got {self.artifact_fraction}")
        require(
            self.robust in ("none", "l2", "linf"),
            f"unknown robust norm '{self.robust}'{did_you_mean(self.robust, ['none', 'l2', 'linf'])}; "
            "choose from: none, l2, linf",
        )
        positive("robust eps", self.robust_eps)
        require(self.robust_steps > 0, f"robust PGD steps must be > 0, got {self.robust_steps}")
        require(self.robust_step_size >= 0, f"robust step size must be >= 0, got {self.robust_step_size}")
        require(self.robust_ramp >= 0, f"robust ramp must be >= 0 epochs, got {self.robust_ramp}")
        require(
            self.normalize in ("mnist", "imagenet", "none"),
            f"normalize must be 'mnist', 'imagenet' or 'none', got '{self.normalize}'",
        )
