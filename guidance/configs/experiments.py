"""An experiment config of either kind, read from a file or a mapping: the kind is said, not guessed.

A config file names its kind (``kind = "run"`` or ``kind = "diffuse"``); run folders write it
into config.toml. Files from before kinds were written are read by their keys: a
diffusion run names its ``guidance``, a guidance-loop run does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Union

from guidance.configs.base import read_toml
from guidance.configs.diffuse import DiffuseConfig
from guidance.configs.run import RunConfig
from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean

ExperimentConfig = Union[RunConfig, DiffuseConfig]
EXPERIMENT_KINDS: dict[str, type[RunConfig] | type[DiffuseConfig]] = {"run": RunConfig, "diffuse": DiffuseConfig}
COMMANDS = {"run": "guide run", "diffuse": "guide diffuse"}  # which command runs a config of each kind


def experiment_class(values: Mapping[str, Any], source: str = "config") -> type[RunConfig] | type[DiffuseConfig]:
    """The config class a mapping of keys declares with ``kind`` (or, in an older file, implies)."""
    kind = values.get("kind")
    if kind is None:
        return DiffuseConfig if "guidance" in values else RunConfig
    if kind not in EXPERIMENT_KINDS:
        kinds = list(EXPERIMENT_KINDS)
        raise ConfigError(f"{source}: unknown kind '{kind}'{did_you_mean(str(kind), kinds)}; choose from: {', '.join(kinds)}")
    return EXPERIMENT_KINDS[kind]


def experiment_from_dict(values: Mapping[str, Any], source: str = "config") -> ExperimentConfig:
    """An experiment config of the kind the mapping declares, checked strictly."""
    return experiment_class(values, source).from_dict(values, source)


def load_experiment(path: str | Path, kind: str | None = None) -> ExperimentConfig:
    """An experiment config file of either kind; with `kind`, a file of the other kind is refused."""
    path = Path(path)
    cls = experiment_class(read_toml(path, "config file"), str(path))
    if kind is not None and cls.kind != kind:
        raise ConfigError(f"{path} is a '{cls.kind}' config; run it with {COMMANDS[cls.kind]} --config")
    return cls.from_toml(path)
