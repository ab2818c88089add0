"""The one place a run's inputs are resolved: data set, target, guided model, denoiser, judge.

A config names things (``dataset = "fashion-mnist"``, ``target = "sneaker"``, ``model = "robust"``);
``resolve(config)`` turns it into an ``Experiment`` that loads each of them on first use, once.
The loaded things live in a ``Workspace``: a process keeps one and shares it between
experiments, so a sweep worker or a comparison loads each data set, model and judge once.
Data-set mismatches between what a run asks for and what it is handed are refused here.

    experiment = resolve(RunConfig(dataset="fashion-mnist", target="sneaker"))
    experiment.target_name, experiment.model, experiment.judge
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from guidance.configs import DENOISER_PRESETS, NO_CLASS, DiffuseConfig, ExperimentConfig, RunConfig, TrainConfig
from guidance.core.datasets import Dataset, check_same_dataset, get_dataset

if TYPE_CHECKING:
    from guidance.data.loading import ImageData
    from guidance.models.guided import GuidedModel
    from guidance.verdicts.judge import Judge


class Workspace:
    """What one process has loaded: data sets, models and judges, keyed by what identifies them.

    `data` is an optional loader of one data set the caller has in memory already; a run on
    another data set is refused when it first asks for data.
    """

    def __init__(self, data_dir: str | Path | None = None, console=None, trust_pickle: bool = False,
                 data: Callable[[], ImageData] | None = None):
        self.data_dir = None if data_dir is None else Path(data_dir)
        self.console = console
        self.trust_pickle = trust_pickle
        self._given_data = data
        self._loaded: dict[tuple, Any] = {}

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._loaded:
            self._loaded[key] = make()
        return self._loaded[key]

    def data(self, dataset: str) -> ImageData:
        """The data set, loaded on first use (saying so when it is only the embedded sample)."""
        return self._once(("data", dataset), lambda: self._load_data(dataset))

    def _load_data(self, dataset: str) -> ImageData:
        if self._given_data is not None:
            loaded = self._given_data()
            check_same_dataset(loaded.dataset, dataset, "the data passed in")
            return loaded
        from guidance.data.loading import load_data

        loaded = load_data(dataset, self.data_dir)
        if loaded.notice:
            self.say(f"[yellow]{loaded.notice}")
        return loaded

    def loader(self, dataset: str) -> Callable[[], ImageData]:
        """A function that returns the data set: what the lower rooms take, so they load only when needed."""
        return functools.partial(self.data, dataset)

    def has_data(self, dataset: str) -> bool:
        return ("data", dataset) in self._loaded

    def say(self, line: str) -> None:
        if self.console is not None:
            self.console.print(line)

    def on_train(self, what: str) -> Callable[[Any, Path], list]:
        """The hook called before a missing model is trained: it says so, and returns a progress bar."""

        def announce(config: Any, folder: Path) -> list:
            recipe = f" ({config.arch}, {config.epochs} epoch(s))" if isinstance(config, TrainConfig) else ""
            self.say(f"no cached {what} yet: training it first{recipe} into {folder}")
            return self.training_callbacks()

        return announce

    def training_callbacks(self) -> list:
        if self.console is None:
            return []
        from guidance.training.classifier import RichProgress

        return [RichProgress(self.console)]

    def guided_model(self, spec: str, dataset: str, target: int) -> GuidedModel:
        """A preset (the user's cache, else shipped, else trained now), a model folder, or a learner .pkl."""
        from guidance.training.presets import resolve_model

        def load() -> GuidedModel:
            what = f"'{spec}' model for {dataset} '{get_dataset(dataset).class_name(target)}'"
            return resolve_model(spec, target, self.loader(dataset), self.trust_pickle, self.on_train(what), dataset)

        return self._once(("model", spec, dataset, target), load)

    def judge(self, dataset: str, target: int, folder: str | Path | None = None) -> Judge:
        """The judge (cached, shipped, or trained now) with its realism index for `target`."""
        from guidance.verdicts.judge import load_judge

        return self._once(("judge", dataset, target, str(folder)),
                          lambda: load_judge(self.loader(dataset), target, folder, self.on_train("judge")))

    def denoiser(self, spec: str, dataset: str):
        from guidance.diffusion.presets import resolve_denoiser

        return self._once(("denoiser", spec, dataset),
                          lambda: resolve_denoiser(spec, self.loader(dataset), self.on_train(f"'{spec}' denoiser"), dataset))

    def guide_classifier(self, spec: str, dataset: str, target: int):
        """The classifier of classifier guidance: 'noisy' (noise-aware) or any model ``guide run`` takes."""
        from guidance.diffusion.presets import resolve_guide_classifier

        return self._once(("guide", spec, dataset, target), lambda: resolve_guide_classifier(
            spec, target, self.loader(dataset), self.trust_pickle, self.on_train(f"'{spec}' model"), dataset))


@dataclass
class Experiment:
    """A config with its data set, target and models resolved: each loaded on first use, once.

    `model` and `judge` may be handed in already loaded (a notebook that reuses them).
    """

    config: ExperimentConfig
    workspace: Workspace = field(default_factory=Workspace)
    given_model: Any = None
    given_judge: Any = None

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def dataset(self) -> Dataset:
        return get_dataset(self.config.dataset)

    @property
    def target(self) -> int:
        return self.config.target

    @property
    def target_name(self) -> str:
        return self.dataset.class_name(self.config.target)

    @property
    def data(self) -> ImageData:
        return self.workspace.data(self.config.dataset)

    @property
    def loader(self) -> Callable[[], ImageData]:
        return self.workspace.loader(self.config.dataset)

    @property
    def data_source(self) -> str | None:
        """Where the data came from, if it was loaded (a run that needed none records its model's)."""
        return self.data.source if self.workspace.has_data(self.config.dataset) else None

    @property
    def model(self):
        """The guided model of a loop run; the guiding classifier of classifier guidance (else None)."""
        if self.given_model is not None:
            return self.given_model
        if isinstance(self.config, RunConfig):
            return self.workspace.guided_model(self.config.model, self.config.dataset, self.config.target)
        if self.config.guidance == "classifier":
            return self.workspace.guide_classifier(self.config.model, self.config.dataset, self.config.target)
        return None

    @property
    def negative_model(self):
        """Classifier guidance away from a negative class: the same kind of classifier, made for that class."""
        config = self.config
        if isinstance(config, DiffuseConfig) and config.guidance == "classifier" and config.negative != NO_CLASS:
            return self.workspace.guide_classifier(config.model, config.dataset, config.negative)
        return None

    @property
    def denoiser(self):
        return self.workspace.denoiser(self.config.denoiser, self.config.dataset)

    @property
    def judge(self) -> Judge:
        if self.given_judge is not None:
            return self.given_judge
        return self.workspace.judge(self.config.dataset, self.config.target)

    def check(self) -> None:
        """Every check that needs no data: device, names, model specs, sampling steps. Fails before anything loads."""
        from guidance.optimize.loop import resolve_device

        resolve_device(self.config.device)
        if self.config.tensorboard:
            from guidance.core.paths import check_tensorboard_dir

            check_tensorboard_dir(self.config.tensorboard)
        if isinstance(self.config, DiffuseConfig):
            self._check_diffusion()
        else:
            from guidance.optimize.names import check_registered
            from guidance.training.presets import check_model_spec

            check_registered(self.config)
            if self.given_model is None:
                check_model_spec(self.config.model)

    def _check_diffusion(self) -> None:
        from guidance.diffusion.presets import check_guide_classifier_spec, denoiser_preset
        from guidance.diffusion.sampling import check_sampling_steps

        if self.config.denoiser in DENOISER_PRESETS:
            check_sampling_steps(self.config.sampling_steps,
                                 denoiser_preset(self.config.denoiser, self.config.dataset).timesteps)
        if self.config.guidance == "classifier" and self.given_model is None:
            check_guide_classifier_spec(self.config.model)
        if self.config.start != "noise":
            from guidance.optimize.starts import STARTS

            STARTS.get(self.config.start.partition(":")[0], what="start")


def resolve(config: ExperimentConfig, workspace: Workspace | None = None, *, model=None, judge=None) -> Experiment:
    """The experiment `config` describes, checked (device, names, model specs) before anything loads."""
    experiment = Experiment(config, workspace or Workspace(), model, judge)
    experiment.check()
    return experiment

