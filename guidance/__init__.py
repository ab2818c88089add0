"""guide: push images along a classifier's gradient and see whether it flips or draws.

The public API is re-exported lazily so `import guidance` stays instant (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "RunConfig": "guidance.config", "TrainConfig": "guidance.config", "MODEL_PRESETS": "guidance.config",
    "load_mnist": "guidance.data", "MnistData": "guidance.data",
    "train_model": "guidance.api", "load_guided_model": "guidance.api", "run_experiment": "guidance.api",
    "RunOutcome": "guidance.api",
    "guide": "guidance.loop", "Callback": "guidance.loop", "GuideResult": "guidance.loop",
    "make_start": "guidance.starts",
    "GuidedModel": "guidance.models", "load_model": "guidance.models", "save_model": "guidance.models",
    "GuideError": "guidance.errors",
    "compare_runs": "guidance.compare", "read_run": "guidance.browse", "list_runs": "guidance.browse",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'guidance' has no attribute {name!r}")
