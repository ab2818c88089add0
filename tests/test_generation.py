"""Issue 5's behaviour targets on full MNIST: the robust model draws 8s, the standard one flips.

Marked slow: it trains the 'robust' preset (about 6 minutes on 2 cores) unless cached.
bench/bench_generate.py prints the same figures, with timings.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guidance.cli import app

pytestmark = pytest.mark.slow
EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(full_mnist):
    return full_mnist.source.removeprefix("mnist:")


def run(tmp_path, name, *options, folder=None):
    out = tmp_path / (folder or name.replace(".toml", ""))
    result = runner.invoke(app, ["run", "--config", str(EXPERIMENTS / name), "--out", str(out), *map(str, options)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text())


def test_robust_model_reports_robust_accuracy(data_dir, full_mnist):
    from guidance.config import MODEL_PRESETS
    from guidance.models.store import preset_folder

    result = runner.invoke(app, ["train", "--robust", "--data", data_dir])
    assert result.exit_code == 0, result.output
    assert "robust accuracy" in result.output
    folder = preset_folder(MODEL_PRESETS["robust"], full_mnist.fingerprint)
    metrics = json.loads((folder / "metrics.json").read_text())
    robust = metrics["robust"]
    assert robust["norm"] == "l2" and robust["steps"] > metrics["train_config"]["robust_steps"]
    # adversarially trained: still a good classifier, and far harder to fool than chance
    assert metrics["test"]["error_rate"] <= 0.03
    assert robust["robust_accuracy"] >= 0.4 and robust["clean_accuracy"] > robust["robust_accuracy"]


def test_noise_becomes_real_eights_on_the_robust_model_only(data_dir, tmp_path):
    robust = run(tmp_path, "generate-noise.toml", "--data", data_dir)
    assert robust["config"]["batch"] == 64
    assert robust["verdicts"]["generated"] >= 0.8 * 64
    assert robust["diversity"]["ratio"] >= 0.5  # not one 8 drawn 64 times
    standard = run(tmp_path, "generate-noise.toml", "--model", "default", "--data", data_dir, folder="standard")
    assert standard["verdicts"]["generated"] <= 0.1 * 64
    assert standard["mean_p_target"] >= 0.99  # the standard model is just as sure: it was fooled


def test_real_twos_become_real_eights(data_dir, tmp_path):
    summary = run(tmp_path, "generate-from-2.toml", "--data", data_dir)
    starts = {image["start"] for image in summary["images"]}
    assert len(starts) == 64  # 64 different real 2s
    assert summary["verdicts"]["generated"] >= 0.8 * 64
