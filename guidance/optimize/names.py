"""The names a run config takes from the loop's registries, checked before anything loads.

The registries are the only list of losses, step rules, schedules and parameterisations:
a new entry is usable from configs, sweeps and the CLI the moment it is registered.
"""

from __future__ import annotations

from guidance.configs import RunConfig
from guidance.optimize.objectives import LOSSES
from guidance.optimize.params import PARAMETERISATIONS
from guidance.optimize.steps import SCHEDULES, STEP_RULES

REGISTERED = {"loss": LOSSES, "step": STEP_RULES, "schedule": SCHEDULES, "param": PARAMETERISATIONS}


def check_registered(config: RunConfig) -> None:
    """Refuse a config naming an unregistered loss, step rule, schedule or parameterisation (with the closest)."""
    for key, registry in REGISTERED.items():
        registry.get(config.parameterisation if key == "param" else getattr(config, key), what=key)  # 'auto' resolved
