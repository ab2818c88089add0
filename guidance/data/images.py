"""Images in and out of tensors: uint8 arrays to pixels, image files to 28x28 greyscale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from guidance.core.errors import StartError

SIZE = 28  # MNIST's side; files that are exact multiples are shrunk to it


def as_pixels(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


def load_image_file(path: Path) -> torch.Tensor:
    """Read an image as a (1, 1, 28, 28) tensor in [0, 1], shrinking exact multiples of 28."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise StartError(f"start image not found: {path}")
    try:
        with Image.open(path) as opened:
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError) as error:
        raise StartError(f"cannot read {path} as an image ({error})") from None
    width, height = image.size
    if width != height or width % SIZE:
        raise StartError(
            f"{path} is {width}x{height}; the model needs 28x28 (or a multiple like 224x224): "
            "resize it first"
        )
    if width != SIZE:
        image = image.resize((SIZE, SIZE), Image.Resampling.BOX)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).view(1, 1, SIZE, SIZE)
