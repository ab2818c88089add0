"""The data sets the kit knows, their class names, and ``--target`` as an index or a name.

Free of torch and numpy, like ``config``: an unknown data set or class fails at once.
A class is stored everywhere as its label index; tables, figures and folder names show
its name (for MNIST the name is the digit itself, so nothing changes there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from guidance.core.errors import ConfigError
from guidance.core.registry import did_you_mean


@dataclass(frozen=True)
class Dataset:
    """One 28x28 greyscale data set in torchvision's layout (``<root>/<folder>/raw/``)."""

    name: str  # what --dataset takes, and what every model, run and verdict records
    title: str  # how it is written in prose: 'MNIST', 'Fashion-MNIST'
    folder: str  # torchvision's folder name under the data root
    classes: tuple[str, ...]  # class names in label order
    kind: str  # what one class is, for messages: "digit", "item"
    homepage: str  # where a user without network can fetch the four IDX files

    def class_name(self, index: int) -> str:
        """The class's name: '8' for MNIST, 'sneaker' for Fashion-MNIST."""
        return self.classes[index]

    def slug(self, index: int) -> str:
        """The class's name as it appears in folder names: 'ankle-boot', 't-shirt-top'."""
        return re.sub(r"[^a-z0-9]+", "-", self.classes[index].lower()).strip("-")

    def parse_target(self, value: int | str) -> int:
        """A class given as its index (8, '8') or its name ('sneaker', 'Ankle boot', 'ankle-boot')."""
        if isinstance(value, int) or str(value).strip().lstrip("-").isdigit():
            index = int(value)
            if not 0 <= index < len(self.classes):
                raise ConfigError(
                    f"target {index} is out of range: {self.name} has classes 0-{len(self.classes) - 1} "
                    f"({self.listing()})"
                )
            return index
        wanted = _key(str(value))
        keys = [_key(name) for name in self.classes] + [_key(self.slug(i)) for i in range(len(self.classes))]
        if wanted in keys:
            return keys.index(wanted) % len(self.classes)
        names = list(self.classes)
        hint = did_you_mean(str(value).lower(), names) or did_you_mean(wanted, [self.slug(i) for i in range(len(names))])
        raise ConfigError(f"unknown {self.kind} '{value}' in {self.name}{hint}; choose from: {self.listing()}")

    def binary_names(self, index: int) -> list[str]:
        """A "target vs rest" model's output order: ['8', 'not_8'], ['sneaker', 'not_sneaker']."""
        return [self.classes[index], f"not_{self.classes[index]}"]

    def cache_tag(self, index: int | None = None) -> str:
        """What cache folder names carry: 't8' for MNIST (as before data sets), 'fashion-mnist-sneaker' otherwise."""
        if self.name == DEFAULT_DATASET:
            return "" if index is None else f"t{index}"
        return self.name if index is None else f"{self.name}-{self.slug(index)}"

    def listing(self) -> str:
        return ", ".join(f"{i} {name}" if name != str(i) else name for i, name in enumerate(self.classes))


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


DATASETS: dict[str, Dataset] = {
    "mnist": Dataset("mnist", "MNIST", "MNIST", tuple(str(d) for d in range(10)), "digit", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": Dataset(
        "fashion-mnist", "Fashion-MNIST", "FashionMNIST",
        ("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"),
        "class", "https://github.com/zalandoresearch/fashion-mnist",
    ),
}
DEFAULT_DATASET = "mnist"


def get_dataset(name: str) -> Dataset:
    """The data set called `name`; an unknown name fails with the closest known one."""
    if name not in DATASETS:
        aliases = {"fashion": "fashion-mnist", "fashionmnist": "fashion-mnist", "fashion_mnist": "fashion-mnist"}
        if name.lower() in aliases or name.lower() in DATASETS:
            hint = f" (did you mean '{aliases.get(name.lower(), name.lower())}'?)"
        else:
            hint = did_you_mean(name.lower(), list(DATASETS))
        raise ConfigError(f"unknown dataset '{name}'{hint}; choose from: {', '.join(DATASETS)}")
    return DATASETS[name]


def class_name(dataset: str, index: int) -> str:
    """Shorthand: the name of class `index` in data set `dataset`."""
    return get_dataset(dataset).class_name(index)


def check_same_dataset(recorded: str | None, wanted: str | None, what: str) -> None:
    """Refuse a model or run made on another data set than the one asked for (None: not recorded / not asked)."""
    if recorded is not None and wanted is not None and recorded != wanted:
        raise ConfigError(f"{what} was made on {recorded}, not {wanted}: use --dataset {recorded}, or one made on {wanted}")


def target_name(config: Mapping[str, Any]) -> str:
    """The target's class name from a config as saved in a run folder (runs before data sets were MNIST)."""
    return class_name(str(config.get("dataset", DEFAULT_DATASET)), int(config.get("target", 8)))
