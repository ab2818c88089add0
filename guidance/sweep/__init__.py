"""Sweeps: a grid of experiments from one base config, run on local workers or on Ray, resumable.

Sits above the API (each point is an ordinary run); imports every room below, never the CLI.
"""

from guidance.sweep.run import SweepOutcome, run_sweep
from guidance.sweep.spec import Point, Sweep, expand, load_sweep

__all__ = ["Sweep", "Point", "SweepOutcome", "load_sweep", "expand", "run_sweep"]
