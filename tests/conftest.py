"""Shared fixtures: the embedded MNIST sample, a tiny trained model, isolated folders.

Under pytest-xdist (README's `-n 2`) each worker is a process with one torch thread, and the tiny
models are trained once for the whole run, by whichever worker needs one first (`shared_folder`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

FULL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # two workers on two cores: one thread each, and in their subprocesses
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """The release check's tests (marked train) run only when the -m expression names them, so that
    `-m slow` or `-m "not slow"` never brings back an hour of training."""
    if "train" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("train") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("train")])
        items[:] = kept


def shared_folder(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """A folder made once per test run by `make(folder)`, shared by every xdist worker (one waits for the other)."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's own folder, either way
    folder = root / "shared" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not (folder / ".done").is_file():
            make(folder)
            (folder / ".done").touch()
    return folder


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
def tiny_model_folder(sample, tmp_path_factory):
    """The default CNN trained for 2 quick epochs on the 4,000-image sample (~5 s), once per run."""
    from guidance.configs import TrainConfig
    from guidance.models.store import save_model
    from guidance.training.classifier import train_classifier

    def make(folder: Path) -> None:
        save_model(train_classifier(TrainConfig(epochs=2, lr=1e-2), sample, name="tiny"), folder)

    return shared_folder(tmp_path_factory, "tiny", make)


@pytest.fixture(scope="session")
def made_once(tmp_path_factory) -> Callable[[str, Callable[[Path], object]], Path]:
    """`made_once(name, make)`: shared_folder for the fixtures of other conftest files."""
    return lambda name, make: shared_folder(tmp_path_factory, name, make)


@pytest.fixture(scope="session")
def tiny_model(tiny_model_folder):
    from guidance.models.store import load_model

    return load_model(tiny_model_folder)
