"""Every named preset in one place: training recipes, the judge's, the default models and devices.

``--model robust``, ``guide train --preset denoiser``, ``--denoiser default``: each name a
user can type for a model or recipe is defined here, and nowhere else.
"""

from __future__ import annotations

from guidance.configs.train import TrainConfig
from guidance.core.datasets import DATASETS, get_dataset

DEFAULT_MODEL = "robust10"  # the model whose gradient draws: what `guide run` uses unless told otherwise
DEVICES = ["auto", "cpu", "cuda"]  # --device: auto picks cuda when there is one

# Named training recipes. 'blog' trains the write-up's kind of model: a resnet34
# body + fastai head on 3-channel, ImageNet-normalised input, with fastai's
# fine_tune. Without ImageNet weights (none can be downloaded), fine_tune's
# frozen epoch and tiny body learning rates leave the body close to random, which
# makes the model sharp, like the write-up's: its gradient flips a '2' in a few steps.
MODEL_PRESETS: dict[str, TrainConfig] = {
    # The standard small CNN: accurate, and its gradient only flips (the adversarial baseline).
    "standard": TrainConfig(),
    "blog": TrainConfig(
        arch="fastai_resnet34", epochs=2, lr=1e-2, batch_size=64, train_limit=10000,
        channels=3, normalize="imagenet", fine_tune=True,
    ),
    # L2 PGD adversarial training (Madry et al. 2018) with eps ramped up over the
    # first epoch: its gradient draws 8s instead of flipping pixels. eps 3.0 for 5
    # epochs drew the most recognisable 8s of eps 2.0-3.5 and 3-8 epochs (docs/generation.md).
    "robust": TrainConfig(epochs=5, robust="l2", robust_eps=3.0, robust_steps=5),
    # The same adversarial training on all ten classes plus an 11th, "none", of pen scribbles, noise, blobs
    # and straight strokes (guidance/data/junk.py). Its gradient draws a pen path toward an 8 that looks
    # like one: sure of 8 means unlike the other nine digits and unlike a scribble (docs/generation.md).
    "robust10": TrainConfig(task="digits", epochs=5, robust="l2", robust_eps=3.0, robust_steps=5,
                            junk_fraction=0.25, junk="scribbles,uniform,blobs,strokes"),
}


# The judge: a digit classifier kept apart from every guided model: another architecture
# (ReLU + max-pool, no batch norm), another task, and trained on noisy images so that
# perturbations crafted against a guided model rarely carry over. Its 11th class, "none",
# is learnt from noise, blobs, strokes and textures (guidance/data/junk.py), so it can
# say that an image is no digit at all instead of naming the closest one.
JUDGE_CONFIG = TrainConfig(arch="judge_cnn", task="digits", epochs=3, lr=3e-3, noise_std=0.5, junk_fraction=0.1)
# Fashion-MNIST's judge: the same network and "none" class, 8 epochs on lighter noise (sigma up to
# 0.3). MNIST's recipe judged only 90% of real test sneakers as sneakers it is sure of (95.2% recall);
# this one reaches 97.5% recall (docs/fashion-mnist.md lists what else was tried).
JUDGE_CONFIGS = {"mnist": JUDGE_CONFIG, "fashion-mnist": JUDGE_CONFIG.override(dataset="fashion-mnist", epochs=8, noise_std=0.3)}


# The realism critic: "real" digits against the same digits made artificial the ways guided images
# go wrong (blur, a thick soft template, blocks, speckle, haze, stray marks, extra or doubled
# strokes; guidance/data/artifacts.py). The judge says which class an image is; the critic
# says whether a person would take it for a real one.
CRITIC_CONFIG = TrainConfig(arch="critic_cnn", task="realism", normalize="none", epochs=5, lr=3e-3, artifact_fraction=0.5)
CRITIC_CONFIGS = {"mnist": CRITIC_CONFIG,
                  "fashion-mnist": CRITIC_CONFIG.override(dataset="fashion-mnist", arch="small_cnn", normalize="mnist", epochs=3,
                                                          artifacts="blurred,thick_soft,blocky,speckled,stray_marks,extra_stroke,doubled,hazy,grainy,jagged")}


def critic_config(dataset: str) -> TrainConfig:
    """The realism critic's training recipe for a data set."""
    get_dataset(dataset)
    return CRITIC_CONFIGS[dataset]


def judge_config(dataset: str) -> TrainConfig:
    """The judge's training recipe for a data set."""
    get_dataset(dataset)
    return JUDGE_CONFIGS[dataset]


VERDICT_PRESETS = {"judge": judge_config, "critic": critic_config}  # guide train --preset: what the verdicts read


NOISY_MODEL = "noisy"  # --model name of the noise-aware classifier that classifier guidance reads at every step
DIFFUSION_PRESETS = ["denoiser", NOISY_MODEL]  # what `guide train --preset` trains for guide diffuse
DENOISER_PRESETS = ["default", *DATASETS]  # --denoiser: the run's own data set's denoiser, or one named by its data set
