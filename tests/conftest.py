"""Shared fixtures: the embedded MNIST sample, a tiny trained model, isolated folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FULL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path_factory, monkeypatch):
    """Every test gets its own model cache and runs folder; nothing touches ~/.cache."""
    monkeypatch.setenv("GUIDE_HOME", str(tmp_path_factory.getbasetemp() / "guide_home"))
    monkeypatch.setenv("GUIDE_RUNS", str(tmp_path_factory.mktemp("runs")))
    monkeypatch.setenv("GUIDE_OFFLINE", "1")


@pytest.fixture(scope="session")
def sample():
    from guidance.data.loading import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def shared_data_root() -> Path:
    """The data root holding full MNIST/raw and FashionMNIST/raw (GUIDE_DATA or ../shared/data)."""
    root = os.environ.get("GUIDE_DATA") or (FULL_MNIST if FULL_MNIST.is_dir() else None)
    if root is None:
        pytest.skip("full data sets not found: set GUIDE_DATA")
    return Path(root)


@pytest.fixture(scope="session")
def full_mnist(shared_data_root):
    from guidance.data.loading import load_mnist

    return load_mnist(shared_data_root)


@pytest.fixture(scope="session")
def full_fashion(shared_data_root):
    from guidance.data.loading import load_data

    if not (shared_data_root / "FashionMNIST" / "raw").is_dir():
        pytest.skip("full Fashion-MNIST not found under GUIDE_DATA")
    return load_data("fashion-mnist", shared_data_root)


@pytest.fixture(scope="session")
def tiny_model(sample):
    """The default CNN trained for 2 quick epochs on the 4,000-image sample (~5 s)."""
    from guidance.configs import TrainConfig
    from guidance.training.classifier import train_classifier

    return train_classifier(TrainConfig(epochs=2, lr=1e-2), sample, name="tiny")


@pytest.fixture(scope="session")
def tiny_model_folder(tiny_model, tmp_path_factory):
    from guidance.models.store import save_model

    return save_model(tiny_model, tmp_path_factory.mktemp("models") / "tiny")
