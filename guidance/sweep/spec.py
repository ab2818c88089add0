"""A sweep file: a base experiment config and axes, expanded to a grid of checked points.

A sweep file (TOML):

    base = "generate-noise.toml"      # an experiment config, relative to this file; or a [base] table
    samples = 0                       # 0: the whole grid; N: N points drawn at random (seeded)
    [set]                             # optional: values every point takes over the base's
    batch = 16
    [axes]
    loss = ["l1", "ce"]
    lr = [0.01, 0.05, 0.1]
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidance.configs import ExperimentConfig, experiment_from_dict, load_experiment, read_toml
from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean

MAX_POINTS = 10_000  # a bigger grid needs yes=True (--yes)
SWEEP_KEYS = ("base", "set", "axes", "samples", "sample_seed", "name")


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep file: the base config, the axes and how many points to draw."""

    name: str
    base: ExperimentConfig
    axes: dict[str, list[Any]]
    samples: int = 0  # 0 = every point of the grid
    sample_seed: int = 0

    def grid_size(self) -> int:
        size = 1
        for values in self.axes.values():
            size *= len(values)
        return size

    def spec(self) -> dict[str, Any]:
        """What identifies this sweep: a folder written by another spec is refused."""
        return {"name": self.name, "base": self.base.to_dict(), "axes": self.axes,
                "samples": self.samples, "sample_seed": self.sample_seed}


@dataclass(frozen=True)
class Point:
    index: int
    values: dict[str, Any]  # axis -> value
    config: ExperimentConfig

    @property
    def name(self) -> str:
        from guidance.runs.folders import slug

        return slug(f"{self.index:04d}-" + "-".join(f"{k}={v}" for k, v in self.values.items()))


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file strictly: unknown keys, empty axes and bad values are named."""
    path = Path(path)
    values = read_toml(path, "sweep file")
    for key in values:
        if key not in SWEEP_KEYS:
            raise ConfigError(f"{path}: unknown key '{key}'{did_you_mean(key, list(SWEEP_KEYS))}; "
                              f"a sweep has {', '.join(SWEEP_KEYS)}")
    base_value = values.get("base", {})
    if isinstance(base_value, str):
        base_path = (path.parent / base_value) if not Path(base_value).is_absolute() else Path(base_value)
        if not base_path.is_file() and Path(base_value).is_file():
            base_path = Path(base_value)  # relative to where the command runs
        base = load_experiment(base_path)
    elif isinstance(base_value, dict):
        base = experiment_from_dict(base_value, source=f"{path} [base]")
    else:
        raise ConfigError(f"{path}: base must be a config path or a table, got {base_value!r}")
    overrides = values.get("set", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: [set] must be a table of config keys")
    base = type(base).from_dict(base.to_dict() | overrides, source=f"{path} [set]")
    axes = values.get("axes")
    if not isinstance(axes, dict) or not axes:
        raise ConfigError(f"{path}: no [axes]: name at least one config key and its values")
    known = list(type(base).__dataclass_fields__)
    for key, axis in axes.items():
        if key not in known or key == "experiment":
            raise ConfigError(f"{path}: axis '{key}' is not a config key{did_you_mean(key, known)}")
        if not isinstance(axis, list):
            raise ConfigError(f"{path}: axis '{key}' must be a list of values, like {key} = [{json.dumps(axis)}], "
                              f"got {type(axis).__name__} {axis!r}")
        if not axis:
            raise ConfigError(f"{path}: axis '{key}' is empty: give it a list of at least one value")
    samples = values.get("samples", 0)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 0:
        raise ConfigError(f"{path}: samples must be a whole number >= 0, got {samples!r}")
    name = values.get("name", path.stem)
    return Sweep(name, base.override(experiment=name), {k: list(v) for k, v in axes.items()}, samples,
                 int(values.get("sample_seed", 0)))


def expand(sweep: Sweep, yes: bool = False) -> list[Point]:
    """Every point of the grid (or `samples` of them, drawn by seed), each config checked."""
    size = sweep.grid_size()
    if size > MAX_POINTS and not yes:
        raise ConfigError(f"the grid has {size:,} points (over {MAX_POINTS:,}); pass --yes to run it anyway, "
                          "or draw some with samples = N")
    indices = range(size)
    if sweep.samples and sweep.samples < size:
        import random

        indices = sorted(random.Random(sweep.sample_seed).sample(range(size), sweep.samples))
    names = list(sweep.axes)
    grid = list(itertools.product(*sweep.axes.values())) if size <= MAX_POINTS or not sweep.samples else None
    points = []
    for index in indices:
        combo = grid[index] if grid is not None else _nth_combination(list(sweep.axes.values()), index)
        values = dict(zip(names, combo))
        try:
            config = sweep.base.override(**values)
        except ConfigError as error:
            raise ConfigError(f"point {index} ({values}): {error}") from None
        points.append(Point(index, values, config))
    return points


def _nth_combination(axes: list[list[Any]], index: int) -> tuple:
    combo = []
    for axis in reversed(axes):
        index, position = divmod(index, len(axis))
        combo.append(axis[position])
    return tuple(reversed(combo))
