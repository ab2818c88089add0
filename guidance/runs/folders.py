"""Run folders: created up front, streamed into, never overwritten.

A run folder holds config.toml (complete: ``guide run --config`` on it replays
the run), metrics.jsonl (one row per logged step, written as the run goes),
summary.json, images.npz, frames/*.png, contact.png, trajectory.gif, curves.png.
A diffusion run adds its predicted clean images: frames/predicted_*.png,
contact_predicted.png and predicted.gif (its frames are x_t).
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from guidance.configs import ExperimentConfig, experiment_class
from guidance.core.datasets import DEFAULT_DATASET, class_name, get_dataset
from guidance.core.errors import RunFolderError
from guidance.core.paths import runs_dir

RUN_FORMAT = "guide-run/1"
CHECKPOINT = "checkpoint.pt"  # the loop's state at its latest snapshot step (guidance.runs.checkpoints)
STATUS = "status.json"  # how the run stands, at which step, in which process


def slug(name: str) -> str:
    """A name made safe for a folder: runs of other characters become '-'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"


def new_output_folder(out: str | Path | None, name: str, what: str = "runs") -> Path:
    """Create the folder a run or comparison writes into; never one that already holds something.

    With `out`, that folder (refused if it exists and is not empty); without, a new
    time-stamped folder under the runs directory.
    """
    if out is not None:
        folder = Path(out)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise RunFolderError(f"--out {folder} already exists and is not empty; {what} never overwrite")
    else:
        base = runs_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug(name)}"
        folder, n = base, 1
        while folder.exists():
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"cannot create folder {folder} ({error.strerror})") from None
    return folder


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader (or a kill) never sees half of it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_status(folder: Path, status: str, step: int, **extra: Any) -> None:
    """status.json: how the run stands, at which step, in which process on which machine."""
    record = {"status": status, "step": step, "pid": os.getpid(), "host": socket.gethostname(),
              "updated": time.strftime("%Y-%m-%d %H:%M:%S")} | extra
    write_atomically(folder / STATUS, (json.dumps(record) + "\n").encode())


def read_status(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / STATUS).read_text())
    except (OSError, ValueError):
        return None


def process_alive(status: dict[str, Any]) -> bool:
    """Whether the process status.json names still runs (only knowable on the machine it ran on)."""
    if status.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(status["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return False
    return True


def is_run_folder(path: str | Path) -> bool:
    """A folder a run wrote: it puts config.toml there first, summary.json at the end."""
    path = Path(path)
    return path.is_dir() and ((path / "config.toml").is_file() or (path / "summary.json").is_file())


def summary_kind(summary: dict[str, Any]) -> str:
    """'run' or 'diffuse', as summary.json says (older summaries: read from their config's keys)."""
    return summary.get("kind") or experiment_class(summary.get("config", {})).kind


def create_run_folder(config: ExperimentConfig, out: str | Path | None = None) -> Path:
    """Make the folder a run writes into and put its config.toml there first."""
    name = config.experiment
    if config.dataset != DEFAULT_DATASET and get_dataset(config.dataset).slug(config.target) not in name:
        name = f"{name}-{get_dataset(config.dataset).slug(config.target)}"  # the class shows in the folder name
    folder = new_output_folder(out, name)
    try:
        (folder / "config.toml").write_text(config.to_toml())
    except OSError as error:
        raise RunFolderError(f"cannot write {folder / 'config.toml'} ({error.strerror})") from None
    return folder


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez, but byte-identical for identical arrays (fixed zip timestamps), and written atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
    os.replace(temporary, path)


def load_images(folder: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a run's images.npz, with a clear error when missing or corrupt."""
    path = Path(folder) / "images.npz"
    if not path.is_file():
        raise RunFolderError(f"{folder} has no images.npz (not a run folder, or the run never started)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RunFolderError(f"{path} is corrupt ({error})") from None


def summarize(
    config: ExperimentConfig, result, model_info: dict[str, Any], start_labels: list[str], data_source: str,
) -> dict[str, Any]:
    """The run's summary.json: config, model, per-image outcome, how it ended."""
    change = (result.final - result.start).flatten(1)
    images = [
        {
            "start": start_labels[i],
            "p_target": result.final_p_target[i],
            "top_class": result.final_top_class[i],
            "l2": float(change[i].norm()),
            "linf": float(change[i].abs().max()),
            "reached_step": result.reached_step[i],
        }
        for i in range(len(start_labels))
    ]
    reached = [step for step in result.reached_step if step is not None]
    return {
        "format": RUN_FORMAT,
        "kind": config.kind,
        "experiment": config.experiment,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - result.seconds)),
        "status": result.status,
        "message": result.message,
        "steps_done": result.steps_done,
        "wall_seconds": round(result.seconds, 3),
        "final_holds": result.keep,
        "model": {k: model_info.get(k) for k in ("name", "arch", "target", "source", "folder", "test")},
        "dataset": config.dataset,
        "target_name": class_name(config.dataset, config.target),
        "data": data_source,
        "config": config.to_dict(),
        "mean_p_target": float(np.mean(result.final_p_target)),
        "reached": {"count": len(reached), "of": len(images), "threshold": config.threshold},
        "images": images,
    }


def write_run(folder: Path, summary: dict[str, Any], result) -> None:
    """Write summary.json, images.npz and the pictures of a finished (or stopped) run."""
    from guidance.runs import figures

    squeeze = lambda t: t.squeeze(-3).numpy().astype(np.float32)  # (..., 1, H, W) -> (..., H, W)
    arrays = {
        "start": squeeze(result.start), "final": squeeze(result.final),
        "last": squeeze(result.last), "best": squeeze(result.best),
        "frames": squeeze(result.frames), "steps": np.asarray(result.frame_steps, dtype=np.int64),
    }
    predicted = getattr(result, "predicted", None)  # a denoiser's predicted clean images, beside its x_t frames
    if predicted is not None and len(predicted):
        arrays["predicted"] = squeeze(predicted)
    save_npz(folder / "images.npz", arrays)
    figures.write_frames(folder / "frames", arrays["frames"], arrays["steps"])
    figures.contact_sheet(folder / "contact.png", arrays["frames"], arrays["steps"], summary)
    figures.write_gif(folder / "trajectory.gif", arrays["frames"])
    if "predicted" in arrays:
        figures.write_frames(folder / "frames", arrays["predicted"], arrays["steps"], prefix="predicted")
        figures.contact_sheet(folder / "contact_predicted.png", arrays["predicted"], arrays["steps"], summary,
                              what="predicted clean image")
        figures.write_gif(folder / "predicted.gif", arrays["predicted"])
    loss_label = "-log p(target), judge on x0_hat" if "predicted" in arrays else "objective"
    figures.curves(folder / "curves.png", result.history, summary["experiment"], loss_label)
    write_atomically(folder / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())


def load_images_to_judge(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Images to judge from an .npz, a folder of PNGs, or a run folder: float32 (B, 28, 28) in [0, 1];
    and notes on what was read and how (which array of an .npz, alpha channels flattened)."""
    from guidance.data.images import load_image_file

    path = Path(path)
    notes: list[str] = []
    if is_run_folder(path) or (path / "images.npz").is_file():
        images = load_images(path)["final"]  # a run folder
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
        if not files:
            raise RunFolderError(f"{path} holds no images (.png, .jpg, .bmp) and is not a run folder")
        _same_size(files)
        loaded = [_image_file(file, load_image_file) for file in files]
        images = np.stack([image for image, _ in loaded])
        flattened = [note for _, note in loaded if note]
        if flattened:
            notes.append(f"{len(flattened)} of {len(files)} images have transparent pixels, read against black, the "
                         f"background (the first: {flattened[0]})")
    elif path.suffix == ".npz" and path.is_file():
        images, note = _npz_images(path)
        notes += [note] if note else []
    else:
        raise RunFolderError(f"{path} is not a run folder, a folder of images or an .npz file")
    bad = ~np.isfinite(images).reshape(len(images), -1).all(axis=1)
    if bad.any():
        raise RunFolderError(f"{path}: {int(bad.sum())} of {len(images)} images hold NaN or infinite pixels "
                             f"(the first is #{int(bad.argmax())}); nothing to judge there")
    return images, notes


PIXEL_SLACK = 1e-3  # float round-off around [0, 1] that is clipped without a word


def pixels_in_range(images: np.ndarray, path: str | Path) -> tuple[np.ndarray, str | None]:
    """Pixels in [0, 1]; a float array of 0-255 values is rescaled, with the notice to show. Else refused."""
    low, high = float(images.min()), float(images.max())
    if low >= -PIXEL_SLACK and high <= 1 + PIXEL_SLACK:
        return images.clip(0, 1), None
    if low >= 0 and high <= 255:
        return images / 255, f"{path}: pixels run from {low:g} to {high:g}, read as 0-255 and divided by 255"
    raise RunFolderError(f"{path}: pixels run from {low:g} to {high:g}; expected [0, 1] (or 0-255)")


def _same_size(files: list[Path]) -> None:
    """Refuse a folder of images of several sizes: they cannot all be the digits of one batch."""
    from PIL import Image

    sizes: dict[tuple[int, int], str] = {}
    for file in files:
        try:
            with Image.open(file) as image:
                sizes.setdefault(image.size, file.name)
        except OSError:
            continue  # an unreadable file is reported by name when it is loaded
    if len(sizes) > 1:
        listing = ", ".join(f"{w}x{h} ({name})" for (w, h), name in list(sizes.items())[:3])
        raise RunFolderError(f"images of mixed sizes in one folder: {listing}; judge one size at a time")


def _image_file(path: Path, loader) -> np.ndarray:
    from PIL import Image

    from guidance.core.errors import StartError

    with Image.open(path) as image:
        if image.mode not in ("L", "LA", "RGB", "RGBA", "P"):
            raise StartError(f"{path} has image mode {image.mode}; use 8-bit greyscale or RGB")
    image, note = loader(path)
    return image[0, 0].numpy(), note


def _npz_images(path: Path) -> tuple[np.ndarray, str | None]:
    """The images of an .npz: its 'final' array (as a run saves it), else 'images', else its only array,
    said in the note; several arrays and neither name: refused, naming them."""
    import zipfile

    note = None
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = archive.files
            key = next((k for k in ("final", "images") if k in names), names[0] if len(names) == 1 else None)
            if key is None:
                raise RunFolderError(f"{path} holds {names or 'no arrays'}; expected 'final' or 'images'")
            if key not in ("final", "images"):
                note = f"{path}: judged its only array, '{key}' (no 'final' or 'images' array in it)"
            images = archive[key]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise RunFolderError(f"{path} is not a readable .npz ({error})") from None
    images = images[None] if images.ndim == 2 else images
    images = images[:, 0] if images.ndim == 4 and images.shape[1] == 1 else images
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise RunFolderError(f"{path}: '{key}' has shape {images.shape}; expected (B, 28, 28)")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255, note
    return images.astype(np.float32), note
