"""Tiny diffusion models trained in seconds on the embedded sample, shared by the diffusion tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_denoiser_folder(sample, made_once):
    """A denoiser of 8 base channels after one short epoch: wrong digits, right plumbing (~5 s)."""
    from guidance.configs import DenoiserConfig
    from guidance.diffusion.presets import train_diffusion_model

    config = DenoiserConfig(width=8, epochs=1, batch_size=64, train_limit=1024)
    return made_once("denoiser", lambda folder: train_diffusion_model(config, sample, folder))


@pytest.fixture(scope="session")
def tiny_noisy_folder(sample, made_once):
    """A noise-aware 8-vs-rest classifier after one short epoch."""
    from guidance.configs import NoisyClassifierConfig
    from guidance.diffusion.presets import train_diffusion_model

    config = NoisyClassifierConfig(epochs=1, train_limit=2048)
    return made_once("noisy", lambda folder: train_diffusion_model(config, sample, folder))
