"""A run's kind is said, not guessed: configs, config.toml and summary.json carry it, and read back typed."""

from pathlib import Path

import pytest

from guidance.api import judge_path, run_experiment
from guidance.configs import DiffuseConfig, RunConfig, experiment_from_dict, load_experiment
from guidance.core.errors import ConfigError
from guidance.runs.browse import read_run
from guidance.runs.judging import Judgement

SHOWCASE_RUNS = Path(__file__).resolve().parents[2] / "results" / "showcase" / "runs"


def test_a_config_file_says_its_kind_and_the_other_command_refuses_it(tmp_path):
    diffusion = tmp_path / "d.toml"
    diffusion.write_text(DiffuseConfig(scale=2.0).to_toml())
    assert diffusion.read_text().startswith('kind = "diffuse"')
    assert isinstance(load_experiment(diffusion), DiffuseConfig)
    with pytest.raises(ConfigError, match="run it with guide diffuse --config"):
        load_experiment(diffusion, kind="run")
    with pytest.raises(ConfigError, match="unknown kind 'difuse' .*did you mean 'diffuse'"):
        experiment_from_dict({"kind": "difuse"})


@pytest.mark.parametrize("name, kind, cls", [("diffuse-free", "diffuse", DiffuseConfig),
                                             ("generate-noise", "run", RunConfig)])
def test_folders_written_before_kinds_still_read_typed(name, kind, cls, tmp_path):
    """A run folder written before kinds: its config.toml and summary.json have none (a showcase run, kind taken out)."""
    import json
    import shutil

    folder = shutil.copytree(SHOWCASE_RUNS / name, tmp_path / name)
    config = folder / "config.toml"
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True) if not line.startswith("kind")))
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("kind", None)
    summary["config"].pop("kind", None)
    (folder / "summary.json").write_text(json.dumps(summary))
    record = read_run(folder)
    assert "kind" not in record.config and "kind" not in record.summary
    assert record.kind == kind
    config = record.typed_config()
    assert isinstance(config, cls) and config.experiment == name


def test_a_new_run_records_its_kind_and_reads_back_as_the_config_it_ran(tiny_model_folder, tmp_path):
    config = RunConfig(model=str(tiny_model_folder), start="digit:2", steps=4, batch=2, judge=False, lr=0.5)
    outcome = run_experiment(config, out=tmp_path / "run")
    record = read_run(str(outcome.folder))
    assert record.config["kind"] == "run" and record.summary["kind"] == "run"
    assert record.typed_config() == config.override(experiment="adhoc")


def test_judge_path_returns_records_for_a_str_path(tiny_model_folder, tmp_path):
    config = RunConfig(model=str(tiny_model_folder), start="digit:2", steps=4, batch=3, judge=False, lr=0.5)
    folder = run_experiment(config, out=tmp_path / "run").folder
    judgement = judge_path(str(folder))
    assert isinstance(judgement, Judgement) and judgement.target_name == "8"
    assert len(judgement.verdicts) == 3 and all("verdict" in record for record in judgement.verdicts)
    assert sum(judgement.counts.values()) == 3 and judgement.set_metrics is None  # too few for set metrics
