"""The diffusion models' recipes reach their floors, and the shipped weights measure what their metrics say.

The floors are the release check (`pytest -m train`, about two minutes): each recipe trains on a
subset of full MNIST (the denoiser two epochs of 5,000 images, the classifier one of 10,000),
against floors measured that way (with margin); the full recipes' figures are in the shipped
metrics.json files and README ("Diffusion"). The shipped weights' checks are slow and run in CI:
the denoiser's on 250 test digits there (its recorded figure is on 2,000: the release check
re-measures that exactly).
"""

import json

import pytest

from guidance.configs import DenoiserConfig, NoisyClassifierConfig
from guidance.diffusion.classifier import load_noisy_classifier
from guidance.diffusion.denoiser import load_denoiser
from guidance.diffusion.training import denoiser_test_loss, noisy_test_accuracy, train_denoiser, train_noisy_classifier
from guidance.models.shipped import SHIPPED_DIR

pytestmark = pytest.mark.slow


@pytest.mark.train
def test_the_denoiser_recipe_on_a_subset_reaches_its_floor(full_mnist):
    denoiser = train_denoiser(DenoiserConfig(train_limit=5000, epochs=2), full_mnist)
    mse = denoiser.info["test"]["mse_conditional"]
    assert mse["500"] <= 0.095 and mse["250"] <= 0.15  # measured 0.081 and 0.130; an untrained UNet: about 1.0


@pytest.mark.train
def test_the_noisy_classifier_recipe_on_a_subset_reaches_its_floor(full_mnist):
    config = NoisyClassifierConfig(train_limit=10000, epochs=1)
    accuracy = train_noisy_classifier(config, full_mnist).info["test"]["balanced_accuracy"]
    assert accuracy["0"] >= 0.85 and accuracy["500"] >= 0.78  # measured 0.905 and 0.846
    assert accuracy["999"] <= 0.6  # pure noise says nothing about the digit


def shipped_denoiser_metrics(data) -> dict:
    info = json.loads((SHIPPED_DIR / "denoiser" / "metrics.json").read_text())
    assert info["data"]["fingerprint"] == data.fingerprint and DenoiserConfig.from_dict(info["train_config"]) == DenoiserConfig()
    assert info["test"]["mse_conditional"]["500"] <= 0.035
    return info


@pytest.mark.train
def test_the_shipped_denoiser_measures_exactly_what_its_metrics_say(full_mnist):
    info = shipped_denoiser_metrics(full_mnist)
    measured = denoiser_test_loss(load_denoiser(SHIPPED_DIR / "denoiser"), full_mnist)
    for key in ("mse_conditional", "mse_unconditional"):
        assert measured[key] == pytest.approx(info["test"][key], rel=1e-3)


def test_the_shipped_denoiser_measures_what_its_metrics_say_on_fewer_digits(full_mnist):
    """250 of the 2,000 test digits: the same figures within sampling error (3-7% off, measured; an untrained UNet: about 1.0)."""
    info = shipped_denoiser_metrics(full_mnist)
    measured = denoiser_test_loss(load_denoiser(SHIPPED_DIR / "denoiser"), full_mnist, count=250)
    for key in ("mse_conditional", "mse_unconditional"):
        assert measured[key] == pytest.approx(info["test"][key], rel=0.1), key


def test_the_shipped_noisy_classifier_measures_what_its_metrics_say(full_mnist):
    info = json.loads((SHIPPED_DIR / "noisy" / "metrics.json").read_text())
    assert info["data"]["fingerprint"] == full_mnist.fingerprint and NoisyClassifierConfig.from_dict(info["train_config"]) == NoisyClassifierConfig()
    measured = noisy_test_accuracy(load_noisy_classifier(SHIPPED_DIR / "noisy", 8), full_mnist)
    assert measured["balanced_accuracy"] == pytest.approx(info["test"]["balanced_accuracy"], abs=2e-4)
    assert measured["balanced_accuracy"]["0"] >= 0.98
