"""guide: push images along a classifier's gradient and see whether it flips or draws.

The public API is re-exported lazily so `import guidance` stays instant (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "RunConfig": "guidance.configs", "TrainConfig": "guidance.configs", "MODEL_PRESETS": "guidance.configs",
    "DiffuseConfig": "guidance.configs", "DenoiserConfig": "guidance.configs",
    "NoisyClassifierConfig": "guidance.configs", "load_experiment": "guidance.configs",
    "load_mnist": "guidance.data.loading", "ImageData": "guidance.data.loading",
    "train_model": "guidance.api", "load_guided_model": "guidance.api", "run_experiment": "guidance.api",
    "RunOutcome": "guidance.api", "resume_run": "guidance.api", "compare_runs": "guidance.api", "judge_path": "guidance.api", "write_verdicts": "guidance.api",
    "Judgement": "guidance.api", "diffuse": "guidance.api", "train_diffusion": "guidance.api",
    "resolve": "guidance.resolve", "Experiment": "guidance.resolve", "Workspace": "guidance.resolve",
    "guide": "guidance.optimize.loop", "Callback": "guidance.optimize.loop", "GuideResult": "guidance.optimize.loop",
    "make_start": "guidance.optimize.starts",
    "GuidedModel": "guidance.models.guided", "load_model": "guidance.models.store", "save_model": "guidance.models.store",
    "GuideError": "guidance.core.errors",
    "read_run": "guidance.runs.browse", "list_runs": "guidance.runs.browse",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'guidance' has no attribute {name!r}")
