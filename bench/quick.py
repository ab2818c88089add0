"""What the benches' --quick modes share: one torch thread, and small copies of the full data sets.

    args.data = quick_setup(args.data)  # then pass it on as --data DIR, or to Workspace(DIR)
    out = scratch_folder("figures-")    # pictures go there, never into results/ or docs/

A quick mode runs a bench's own code at a tiny size so that CI sees it still runs and prints its
table (tests/test_bench.py); its figures mean nothing. Two things keep it at seconds on a busy
machine:
- one torch thread, here and in every subprocess (OMP_NUM_THREADS): at batch 2 a second thread
  buys nothing, and on a loaded 2-core machine two threads wait on each other (a quick failure
  battery took 60 s with two, 2 s with one);
- the first QUICK_TRAIN training and QUICK_TEST test images of MNIST and Fashion-MNIST, in
  torchvision's layout in a temporary folder (also set as GUIDE_DATA for subprocesses), so the
  judge's realism index calibrates on a few hundred images, not 6,000. Shipped models are found
  by recipe, not by data, so nothing trains.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

QUICK_TRAIN, QUICK_TEST = 2000, 500
FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def quick_setup(source: str | None = None) -> str | None:
    """One torch thread, and the small copies of `source` (else $GUIDE_DATA); their folder, removed at exit.
    None when there is no full data: MNIST then falls back to the kit's embedded sample."""
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    source = source or os.environ.get("GUIDE_DATA")
    if not source:
        return None
    from guidance.core.errors import DataError
    from guidance.data.loading import IDX_FILES, load_data

    folder = scratch_folder("guide-quick-data-")
    for dataset, name in FOLDERS.items():
        try:
            data = load_data(dataset, source)
        except DataError:  # a source without Fashion-MNIST: the benches that need it say so themselves
            continue
        raw = folder / name / "raw"
        raw.mkdir(parents=True)
        for key, file in IDX_FILES.items():
            _write_idx(raw / file, getattr(data, key)[:QUICK_TRAIN if key.startswith("train") else QUICK_TEST])
    os.environ["GUIDE_DATA"] = str(folder)
    return str(folder)


def scratch_folder(prefix: str) -> Path:
    """A new temporary folder, removed when the script exits: where a quick mode writes its pictures."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format MNIST ships in: magic (0, 0, 8 = uint8, ndim), each dimension as a big-endian int32, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
