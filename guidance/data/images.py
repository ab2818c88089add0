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


def load_image_file(path: Path) -> tuple[torch.Tensor, str | None]:
    """Read an image as a (1, 1, 28, 28) tensor in [0, 1], shrinking exact multiples of 28; and a note
    saying what was done on the way (an alpha channel flattened onto black), else None."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise StartError(f"start image not found: {path}")
    try:
        with Image.open(path) as opened:
            image, note = _greyscale(opened, path)
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
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).view(1, 1, SIZE, SIZE), note


def _greyscale(image, path: Path):
    """8-bit greyscale; where the image has transparent pixels, they are laid on black, MNIST's background
    (as a viewer shows it on a dark page), and the note says so."""
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return image.convert("L"), None
    grey, alpha = (np.asarray(band, dtype=np.float32) for band in image.convert("LA").split())
    if alpha.min() == 255:  # opaque everywhere: dropping it changes nothing
        return image.convert("L"), None
    flattened = Image.fromarray(np.round(grey * alpha / 255).astype(np.uint8))
    clear = int((alpha < 255).sum())
    return flattened, (f"{path}: {clear} of its {alpha.size} pixels are (partly) transparent; they were read "
                       "against black, the background")
