"""What every config shares: strict loading from TOML or a mapping, overrides, dumping, its kind.

Precedence is CLI > file > defaults. Every field carries a one-line "why" as a comment,
which is also its ``--help`` text and its row in the docs' key tables (``describe``).
Free of torch and numpy, so a bad value fails at once.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import math
import textwrap
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Mapping, TypeVar

import tomli_w
import tomllib

from guidance.core.datasets import DEFAULT_DATASET, get_dataset
from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean

C = TypeVar("C", bound="ConfigBase")
CLASS_FIELDS = ("target", "negative")  # fields that name a class of the data set: an index or a name
NO_CLASS = -1  # an optional class field left empty ('negative')


@dataclass(frozen=True)
class ConfigBase:
    """Shared strict loading, overriding and dumping for the kit's configs."""

    kind: ClassVar[str] = ""  # what a config file of this type is: 'run', 'diffuse', ...; written into config.toml

    @classmethod
    def from_dict(cls: type[C], values: Mapping[str, Any], source: str = "config") -> C:
        """Build a config from a mapping, naming any unknown key or wrong type."""
        values = dict(values)
        kind = values.pop("kind", cls.kind)
        if kind != cls.kind:
            raise ConfigError(f"{source} is a '{kind}' config, not a '{cls.kind}' one")
        known = {f.name: f for f in fields(cls)}
        for key in CLASS_FIELDS:  # a class name: 'sneaker', 'ankle boot'
            if isinstance(values.get(key), str) and key in known and "dataset" in known:
                values[key] = _parse_class(key, values[key], str(values.get("dataset", DEFAULT_DATASET)))
        checked: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown key '{key}'{did_you_mean(key, list(known))}")
            checked[key] = _check_type(key, value, known[key].type, source)
        config = cls(**checked)
        config.validate()
        return config

    @classmethod
    def from_toml(cls: type[C], path: str | Path) -> C:
        """Load a TOML file strictly; the experiment name defaults to the file stem."""
        path = Path(path)
        values = read_toml(path, "config file")
        if "experiment" in {f.name for f in fields(cls)}:
            values.setdefault("experiment", path.stem)
        return cls.from_dict(values, source=str(path))

    def override(self: C, **changes: Any) -> C:
        """Return a copy with the non-None changes applied and checked."""
        merged = self.to_dict() | {k: v for k, v in changes.items() if v is not None}
        return type(self).from_dict(merged, source="option")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """The config as a TOML file, its kind first, so the file says what it is."""
        return tomli_w.dumps(({"kind": self.kind} if self.kind else {}) | self.to_dict())

    def validate(self) -> None:
        """Check ranges; subclasses add their own rules."""

    def cache_key(self) -> str:
        """What identifies the model this config trains: the fields that differ from the defaults.

        Adding a new field with a default therefore keeps every cached model valid.
        """
        defaults = type(self)().to_dict()
        return tomli_w.dumps({k: v for k, v in self.to_dict().items() if v != defaults[k]})


@functools.cache
def describe(cls: type) -> dict[str, str]:
    """Each field's "why" comment, read from the class's source: the one description of an option.

    ``guide run --help``, the docs' key tables and the dataclass itself all show this text.
    """
    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            line = lines[node.end_lineno - 1]
            if "#" in line:
                text = line.split("#", 1)[1].strip()
                found[node.target.id] = text[0].upper() + text[1:]
    return found


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's values, or a ConfigError naming a missing or unparsable `what`."""
    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None


def _parse_class(key: str, value: str, dataset: str) -> int:
    if key != "target" and str(value).strip().lower() in ("", "none", str(NO_CLASS)):
        return NO_CLASS
    try:
        return get_dataset(dataset).parse_target(value)
    except ConfigError as error:
        raise ConfigError(str(error).replace("target", key, 1)) from None


def _check_type(key: str, value: Any, annotation: Any, source: str) -> Any:
    expected = {"int": int, "float": float, "str": str, "bool": bool}[str(annotation)]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and expected is not bool:
        ok = False
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ConfigError(f"{source}: key '{key}' must be {expected.__name__}, got {type(value).__name__} {value!r}")
    return value


def require(condition: bool, message: str) -> None:
    """Raise a ConfigError with `message` unless `condition` holds."""
    if not condition:
        raise ConfigError(message)


def positive(name: str, value: float) -> None:
    require(math.isfinite(value) and value > 0, f"{name} must be a finite number > 0, got {value}")


def choice(name: str, value: str, choices: list[str]) -> None:
    require(value in choices, f"unknown {name} '{value}'{did_you_mean(value, choices)}; choose from: {', '.join(choices)}")


def check_target(target: int, dataset: str = DEFAULT_DATASET, key: str = "target") -> None:
    """Refuse an unknown data set, or a class index it does not have."""
    _parse_class(key, str(target), dataset)
