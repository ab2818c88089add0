"""A tiny name -> factory registry, in the style of timm's ``register_model``.

Everything a config names (losses, step rules, schedules, starts, architectures)
lives in one of these, so an unknown name fails with the list of valid names and
the closest match.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Callable, Generic, Iterator, TypeVar

from guidance.core.errors import ConfigError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Registry(Generic[T]):
    """Maps names to objects; ``@registry.register('name')`` adds one."""

    def __init__(self, kind: str):
        self.kind = kind  # what the entries are, for error messages: "loss", "step rule", ...
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = obj
            return obj

        return add

    def get(self, name: str, what: str | None = None) -> T:
        """The entry called `name`; an unknown name fails naming `what` (default: the registry's kind)."""
        if name not in self._entries:
            raise ConfigError(
                f"unknown {what or self.kind} '{name}'{did_you_mean(name, self.names())}; "
                f"choose from: {', '.join(self.names())}"
            )
        return self._entries[name]

    def names(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
