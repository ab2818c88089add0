"""Start images: where the pixels begin, as a (B, 1, 28, 28) float tensor in [0, 1].

Specs: ``noise`` (Gaussian with each pixel's own mean and spread over all training
digits; also ``noise:data``), ``noise:uniform``, ``noise:gaussian`` (MNIST's mean and spread),
``blank``, ``digit:N`` / ``digit:N@I`` (real test-set digits), ``class:NAME`` / ``class:NAME@I``
(real test images of any data set's class, by name or index), ``gauss:CLASS`` (a Gaussian fitted
to that class's training images), ``file:PATH``.
Image i of a batch is exactly what a single run would start from with seed+i
(noise) or index I+i (digits), so batches are B independent runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from guidance.core.errors import ConfigError, StartError
from guidance.core.registry import Registry
from guidance.data.images import SIZE, load_image_file
from guidance.data.loading import ImageData

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


@dataclass(frozen=True)
class Start:
    pixels: torch.Tensor  # (B, 1, 28, 28) float32
    labels: list[str]  # what each image is, e.g. "noise seed 3", "test 2 #0"
    classes: list[int] | None = None  # each image's class, for starts of real images of one class
    notes: tuple[str, ...] = ()  # what was done to the input on the way, for the user to read


StartMaker = Callable[[str, int, int, Callable[[], ImageData]], Start]
STARTS: Registry[StartMaker] = Registry("start")


def make_start(spec: str, batch: int, seed: int, data: Callable[[], ImageData]) -> Start:
    """Build the start batch for `spec`; `data` is called only if real digits are needed."""
    kind, _, argument = spec.partition(":")
    return STARTS.get(kind)(argument, batch, seed, data)


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@STARTS.register("noise")
def noise(argument: str, batch: int, seed: int, data: Callable[[], ImageData]) -> Start:
    """Noise of no digit in particular, in three kinds.

    - ``noise`` (also ``noise:data``): Gaussian with every pixel's own mean and spread over
      all training digits, clipped to [0, 1]. It knows only where ink tends to be (the
      centre) and where it never is (the border), like the unconditional version of
      Santurkar et al.'s class-conditional Gaussian starts.
    - ``noise:uniform``: every pixel U(0, 1), the write-up's noise.
    - ``noise:gaussian``: one mean and spread (MNIST's) for every pixel.
    """
    kind = argument or "data"
    if kind not in ("data", "uniform", "gaussian"):
        raise StartError(f"unknown noise '{argument}': use noise, noise:uniform, noise:gaussian or noise:data")
    if kind == "data":
        mean, std = (torch.from_numpy(array) for array in data().pixel_statistics())
    images = []
    for i in range(batch):
        shape = (1, SIZE, SIZE)
        if kind == "data":
            image = (mean + std * torch.randn(shape, generator=_seeded(seed + i))).clamp(0, 1)
        elif kind == "gaussian":
            image = MNIST_MEAN + MNIST_STD * torch.randn(shape, generator=_seeded(seed + i))
        else:
            image = torch.rand(shape, generator=_seeded(seed + i))
        images.append(image)
    return Start(torch.stack(images), [f"noise seed {seed + i}" for i in range(batch)])


@STARTS.register("gauss")
def class_gaussian(argument: str, batch: int, seed: int, data: Callable[[], ImageData]) -> Start:
    """gauss:8, gauss:sneaker: a Gaussian with the mean and full covariance of that class's training
    images (+1e-4 I), sampled and clipped to [0, 1], as Santurkar et al. (2019) start their robust
    classifier's generation. Image i draws from seed + i."""
    loaded = data()
    try:
        label = loaded.spec.parse_target(argument)
    except ConfigError as error:
        raise StartError(f"bad class-Gaussian start 'gauss:{argument}': {str(error).replace('target ', 'class ', 1)}") from None
    pool = loaded.train_images[loaded.train_labels == label].reshape(-1, SIZE * SIZE).astype(np.float64) / 255
    name = loaded.spec.class_name(label)
    if len(pool) < 2:
        raise StartError(f"gauss:{argument}: {loaded.dataset} has {len(pool)} training images of {name}; "
                         "a mean and covariance need at least 2")
    mean = torch.from_numpy(pool.mean(0))
    factor = torch.linalg.cholesky(torch.from_numpy(np.cov(pool, rowvar=False) + 1e-4 * np.eye(SIZE * SIZE)))
    draws = torch.stack([torch.randn(SIZE * SIZE, generator=_seeded(seed + i), dtype=torch.float64)
                         for i in range(batch)])
    images = (mean + draws @ factor.T).clamp(0, 1).float().view(batch, 1, SIZE, SIZE)
    return Start(images, [f"gauss {name} seed {seed + i}" for i in range(batch)])


@STARTS.register("blank")
def blank(argument: str, batch: int, seed: int, data) -> Start:
    """All-black images (MNIST background)."""
    return Start(torch.zeros(batch, 1, SIZE, SIZE), ["blank"] * batch)


@STARTS.register("digit")
def digit(argument: str, batch: int, seed: int, data: Callable[[], ImageData]) -> Start:
    """Real MNIST test digits: digit:N@I is the I-th test image of digit N."""
    number, _, index = argument.partition("@")
    if not number.isdigit() or not 0 <= int(number) <= 9 or (index and not index.isdigit()):
        raise StartError(f"bad digit start 'digit:{argument}': use digit:N or digit:N@I with N in 0-9")
    return _test_images(int(number), int(index or 0), f"digit:{argument}", batch, data())


@STARTS.register("class")
def test_class(argument: str, batch: int, seed: int, data: Callable[[], ImageData]) -> Start:
    """Real test images of a class by index or name: class:sandal, class:5@10, class:ankle-boot."""
    name, _, index = argument.partition("@")
    if index and not index.isdigit():
        raise StartError(f"bad class start 'class:{argument}': use class:NAME or class:NAME@I")
    try:
        label = data().spec.parse_target(name)
    except ConfigError as error:
        raise StartError(f"bad class start 'class:{argument}': {error}") from None
    return _test_images(label, int(index or 0), f"class:{argument}", batch, data())


def _test_images(label: int, first: int, spec: str, batch: int, data: ImageData) -> Start:
    """Test images first..first+batch-1 of class `label`, labelled by the class's name."""
    pool = data.test_digits(label)
    name = data.spec.class_name(label)
    if first + batch > len(pool):
        raise StartError(
            f"{spec} with batch {batch} needs test images {first}..{first + batch - 1} "
            f"of {name}, but there are only {len(pool)}"
        )
    images = torch.from_numpy(pool[first : first + batch].astype(np.float32) / 255).unsqueeze(1)
    return Start(images, [f"test {name} #{first + i}" for i in range(batch)], [label] * batch)


@STARTS.register("file")
def image_file(argument: str, batch: int, seed: int, data) -> Start:
    """An image file as greyscale; 28x28, or an exact multiple (like the kit's own frames)."""
    image, note = load_image_file(Path(argument))
    return Start(image.expand(batch, -1, -1, -1).clone(), [Path(argument).name] * batch, notes=(note,) if note else ())


