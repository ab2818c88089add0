"""Configs: what a run, a sampling, a training or a sweep point is, as frozen dataclasses with their kind.

Every named preset lives in ``presets``. Imports only ``guidance.core``; no torch, so a bad
value fails at once. The public names are re-exported here.
"""

from guidance.configs.base import NO_CLASS, ConfigBase, describe, read_toml
from guidance.configs.diffuse import GUIDANCE_KINDS, SAMPLERS, DenoiserConfig, DiffuseConfig, NoisyClassifierConfig
from guidance.configs.experiments import (
    EXPERIMENT_KINDS,
    ExperimentConfig,
    experiment_class,
    experiment_from_dict,
    load_experiment,
)
from guidance.configs.presets import (
    CRITIC_CONFIG,
    CRITIC_CONFIGS,
    DEFAULT_MODEL,
    DENOISER_PRESETS,
    DIFFUSION_PRESETS,
    JUDGE_CONFIG,
    JUDGE_CONFIGS,
    MODEL_PRESETS,
    NOISY_MODEL,
    VERDICT_PRESETS,
    critic_config,
    judge_config,
)
from guidance.configs.run import RunConfig
from guidance.configs.train import TrainConfig

__all__ = [
    "NO_CLASS", "ConfigBase", "describe", "read_toml", "GUIDANCE_KINDS", "SAMPLERS", "DenoiserConfig", "DiffuseConfig",
    "NoisyClassifierConfig", "EXPERIMENT_KINDS", "ExperimentConfig", "experiment_class", "experiment_from_dict",
    "load_experiment", "DEFAULT_MODEL", "DENOISER_PRESETS", "DIFFUSION_PRESETS", "JUDGE_CONFIG", "JUDGE_CONFIGS",
    "MODEL_PRESETS", "NOISY_MODEL", "judge_config", "critic_config", "CRITIC_CONFIG", "CRITIC_CONFIGS",
    "VERDICT_PRESETS", "RunConfig", "TrainConfig",
]
