"""Run folders that survive a hard stop: a status file, the images so far and a checkpoint of the loop.

``Checkpointer`` is a loop (and sampler) callback. At every snapshot step after the first it
writes, each atomically (a temporary file renamed into place): images.npz with what the run has
made so far, checkpoint.pt with the loop's whole state (``LoopState`` / ``SamplingState``:
tensors, lists and numbers, read back with ``torch.load(weights_only=True)``), then status.json.
status.json also follows every logged step, so it always says where the run is and which process
runs it. A run killed at any moment (SIGKILL, out of memory, a lost Ray node) keeps its folder
readable, and ``guide run --resume FOLDER`` continues from the checkpoint.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import torch

from guidance.core.errors import RunFolderError
from guidance.optimize.loop import Callback
from guidance.runs.folders import CHECKPOINT, save_npz, write_atomically, write_status


class Checkpointer(Callback):
    """Keep a run folder resumable and readable while the run goes (see the module docstring)."""

    def __init__(self, folder: Path, checkpoint_step: int | None = None):
        self.folder = Path(folder)
        self.checkpoint_step = checkpoint_step  # a resumed run starts from its checkpoint's step

    def before_run(self, config, start) -> None:
        write_status(self.folder, "running", self.checkpoint_step or 0, checkpoint_step=self.checkpoint_step)

    def after_log(self, record: dict[str, Any]) -> None:
        write_status(self.folder, "running", record["step"], checkpoint_step=self.checkpoint_step)

    def at_checkpoint(self, state) -> None:
        save_npz(self.folder / "images.npz", partial_images(state))
        buffer = io.BytesIO()
        torch.save(state.to_dict(), buffer)
        write_atomically(self.folder / CHECKPOINT, buffer.getvalue())
        self.checkpoint_step = state.step
        write_status(self.folder, "running", state.step, checkpoint_step=state.step)


def partial_images(state) -> dict[str, np.ndarray]:
    """images.npz of a run still going: its frames so far, the latest snapshot as 'final'."""
    squeeze = lambda t: t.squeeze(-3).numpy().astype(np.float32)
    frames = squeeze(torch.stack(state.frames))
    arrays = {"frames": frames, "steps": np.asarray(state.frame_steps, dtype=np.int64)}
    predicted = getattr(state, "predicted", None)
    if predicted:
        arrays["predicted"] = squeeze(torch.stack(predicted))
    latest = arrays.get("predicted", frames)[-1]
    start = squeeze(state.start) if hasattr(state, "start") else frames[0]
    return {"start": start, "final": latest, "last": latest, "best": latest} | arrays


def read_checkpoint(folder: Path, kind: str):
    """The state a run folder's checkpoint.pt holds (a LoopState or SamplingState), or None when it has none."""
    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        return None
    try:
        values = torch.load(path, weights_only=True)  # tensors, lists and numbers: no code is unpickled
    except Exception as error:  # a corrupt or foreign file: say so, in one line
        raise RunFolderError(f"{path} cannot be read ({type(error).__name__}); "
                             "delete it to run the experiment again from the start") from None
    if kind == "diffuse":
        from guidance.diffusion.sampling import SamplingState

        return SamplingState.from_dict(values)
    from guidance.optimize.loop import LoopState

    return LoopState.from_dict(values)


def restart_from(folder: Path, state) -> None:
    """Cut a folder back to its checkpoint before resuming: the log keeps the rows before it; an
    interrupted run's summary goes (the run is not over)."""
    import json

    rows = state.history if state is not None else []
    write_atomically(folder / "metrics.jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())
    (folder / "summary.json").unlink(missing_ok=True)


def close_run(folder: Path, status: str, step: int) -> None:
    """The run ended: status.json says how; a finished run's checkpoint is dropped (an interrupted one's is kept)."""
    write_status(folder, status, step)
    if status in ("finished", "early_stop", "nan"):
        (folder / CHECKPOINT).unlink(missing_ok=True)
