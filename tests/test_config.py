import dataclasses
import math

import pytest

from guidance.configs import RunConfig, TrainConfig
from guidance.core.errors import ConfigError


def test_toml_round_trip(tmp_path):
    config = RunConfig(experiment="x", loss="l1", steps=7, clamp=False, lr=0.5)
    path = tmp_path / "x.toml"
    path.write_text(config.to_toml())
    assert RunConfig.from_toml(path) == config


def test_experiment_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "my-exp.toml"
    path.write_text("steps = 3\n")
    assert RunConfig.from_toml(path).experiment == "my-exp"


def test_unknown_key_is_named_with_suggestion(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("stepss = 3\n")
    with pytest.raises(ConfigError, match="unknown key 'stepss'.*did you mean 'steps'"):
        RunConfig.from_toml(path)


@pytest.mark.parametrize("text, key", [('steps = "many"', "steps"), ("clamp = 1", "clamp"), ("lr = true", "lr")])
def test_wrong_type_is_named(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=f"key '{key}' must be"):
        RunConfig.from_toml(path)


def test_invalid_toml_and_missing_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("steps = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunConfig.from_toml(path)
    with pytest.raises(ConfigError, match="not found"):
        RunConfig.from_toml(tmp_path / "missing.toml")


def test_cli_overrides_file_overrides_defaults(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('steps = 30\nloss = "l1"\n')
    config = RunConfig.from_toml(path).override(steps=5, lr=None)
    assert (config.steps, config.loss, config.lr) == (5, "l1", RunConfig().lr)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"steps": 0}, "steps must be > 0"), ({"steps": -3}, "steps must be > 0"),
        ({"batch": 0}, "batch must be > 0"), ({"log_every": 0}, "log every must be > 0"),
        ({"lr": 0.0}, "lr must be"), ({"lr": -1.0}, "lr must be"), ({"lr": math.inf}, "lr must be"),
        ({"lr": math.nan}, "lr must be"), ({"target": 10}, "target 10 is out of range"),
        ({"eps": -1.0}, "eps must be"),
        ({"threshold": 1.5}, "threshold"), ({"device": "tpu"}, "unknown device"),
    ],
)
def test_bad_run_values_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig().override(**changes)


@pytest.mark.parametrize(
    "changes, message",
    [({"epochs": 0}, "epochs must be > 0"), ({"batch_size": -1}, "batch size"), ({"lr": 0.0}, "learning rate"),
     ({"target": -1}, "target -1 is out of range")],
)
def test_bad_train_values_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig().override(**changes)


@pytest.mark.parametrize(
    "changes, message",
    [({"loss": "l3"}, "unknown loss 'l3'"), ({"step": "sgdd"}, "did you mean 'sgd'"),
     ({"schedule": "exp"}, "unknown schedule"), ({"param": "blurry"}, "unknown param 'blurry'")],
)
def test_unregistered_names_are_refused_when_resolved(changes, message):
    """The loop's registries are the one list of names: resolving a config checks against them."""
    from guidance.resolve import resolve

    with pytest.raises(ConfigError, match=message):
        resolve(RunConfig().override(**changes))


def test_every_registered_name_resolves():
    """A name is usable the moment it is registered: no second list to keep in step."""
    from guidance.optimize.names import REGISTERED
    from guidance.resolve import resolve

    for key, registry in REGISTERED.items():
        for name in registry.names():
            if key == "param" and name != "pixel":
                resolve(RunConfig(param=name, space="pixel"))
            else:
                resolve(RunConfig(**{key: name}))


def test_every_option_is_described_once_in_its_dataclass():
    """--help text, the docs' key tables and the dataclass read the same comment."""
    from guidance.configs import DiffuseConfig, describe

    for cls in (RunConfig, TrainConfig, DiffuseConfig):
        described = describe(cls)
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in described]
        assert not missing, f"{cls.__name__} fields without a why-comment: {missing}"
    assert "write-up" in describe(RunConfig)["loss"]
