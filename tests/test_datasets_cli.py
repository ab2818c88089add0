"""--dataset and --target by name through the CLI, and every refusal of the other data set's models and runs.

Uses the shipped Fashion-MNIST models and the full set under GUIDE_DATA (skipped without it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from cli_helpers import invoke, one_line_error

from guidance.models.shipped import SHIPPED_DIR

FASHION_STANDARD = SHIPPED_DIR / "fashion-mnist" / "standard"
EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


@pytest.fixture(scope="module")
def sneaker_run(shared_data_root, tmp_path_factory):
    """The standard Fashion-MNIST model pushing two real sandals toward 'sneaker', judged (a few seconds)."""
    out = tmp_path_factory.mktemp("fashion") / "sandal-to-sneaker"
    result = invoke("run", "--dataset", "fashion-mnist", "--target", "sneaker", "--model", "standard",
                    "--start", "class:sandal", "--batch", 2, "--steps", 20, "--param", "pixel", "--lr", 0.1,
                    "--out", out, "--data", shared_data_root)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_a_run_records_its_data_set_and_shows_the_class_name(sneaker_run):
    folder, output = sneaker_run
    summary = json.loads((folder / "summary.json").read_text())
    config = tomllib.loads((folder / "config.toml").read_text())
    assert (config["dataset"], config["target"]) == ("fashion-mnist", 7)
    assert summary["dataset"] == "fashion-mnist" and summary["target_name"] == "sneaker"
    assert [image["start"] for image in summary["images"]] == ["test sandal #0", "test sandal #1"]
    assert summary["images"][0]["judge_top"] in ("sandal", "sneaker", "ankle boot", "bag", "none")  # Fashion names
    assert "p(sneaker)" in output


def test_a_default_run_folder_is_named_after_the_class(shared_data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("GUIDE_RUNS", str(tmp_path))
    result = invoke("run", "--dataset", "fashion-mnist", "--target", "ankle boot", "--model", "robust10",
                    "--steps", 2, "--no-judge", "--data", shared_data_root)  # robust10 guides every class: nothing trains
    assert result.exit_code == 0, result.output
    assert [p.name.split("-", 2)[-1] for p in tmp_path.iterdir()] == ["adhoc-ankle-boot"]


def test_the_other_data_sets_model_is_refused(shared_data_root, tmp_path):
    result = invoke("run", "--model", FASHION_STANDARD, "--steps", 2, "--out", tmp_path / "r", "--data", shared_data_root)
    one_line_error(result, "was made on fashion-mnist, not mnist")
    assert not (tmp_path / "r").exists()
    result = invoke("diffuse", "--dataset", "fashion-mnist", "--denoiser", "mnist", "--out", tmp_path / "d",
                    "--data", shared_data_root)
    one_line_error(result, "denoiser 'mnist' was made on mnist, not fashion-mnist")


def test_the_other_data_sets_run_folder_is_refused(sneaker_run, shared_data_root, tmp_path):
    folder, _ = sneaker_run
    one_line_error(invoke("judge", folder, "--dataset", "mnist", "--data", shared_data_root),
                   "was made on fashion-mnist, not mnist")
    one_line_error(invoke("compare", folder, "--dataset", "mnist", "--out", tmp_path / "c"),
                   "was made on fashion-mnist, not mnist")
    assert not (tmp_path / "c").exists()


def test_judge_takes_the_runs_data_set_and_a_class_name(sneaker_run, shared_data_root):
    folder, _ = sneaker_run
    result = invoke("judge", folder, "--target", "sneaker", "--data", shared_data_root)
    assert result.exit_code == 0, result.output
    assert "p(sneaker)" in result.output and "verdicts:" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["run", "--dataset", "fashion-mnist", "--target", "sneker"], "unknown class 'sneker' in fashion-mnist (did you mean 'sneaker'?)"),
    (["run", "--dataset", "fashion-mnist", "--target", "10"], "target 10 is out of range"),
    (["train", "--dataset", "fashon-mnist"], "unknown dataset 'fashon-mnist' (did you mean 'fashion-mnist'?)"),
    (["diffuse", "--dataset", "kmnist"], "unknown dataset 'kmnist'"),
    (["run", "--target", "sneaker"], "unknown digit 'sneaker' in mnist"),
    (["run", "--dataset", "fashion-mnist", "--start", "class:sneakers"], "did you mean 'sneaker'?"),
])
def test_bad_data_sets_and_classes_are_one_line(args, fragment, shared_data_root):
    one_line_error(invoke(*args, "--data", shared_data_root), fragment)
