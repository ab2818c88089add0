"""End to end on the full MNIST set: the README's commands, the write-up replayed.

Marked slow and run in CI, on the shipped models. Two retrain a model and are the release check's
(`pytest -m train`, docs/tests.md): the standard model's full recipe (about 35 s) and the
write-up's experiment, which trains its resnet34 first (about 1.5 minutes).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from guidance.cli import app

pytestmark = pytest.mark.slow
EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def data_dir(full_mnist):
    return full_mnist.source.removeprefix("mnist:")


@pytest.mark.train
def test_train_standard_model_then_reuse_it(data_dir):
    """`guide train` remakes the shipped standard model's quality, then reuses it."""
    first = invoke("train", "--data", data_dir)
    assert "balanced accuracy" in first and "already trained" not in first
    second = invoke("train", "--data", data_dir)
    assert "already trained with this config" in second
    folder = Path(second.split("reusing ")[1].split()[0])
    metrics = json.loads((folder / "metrics.json").read_text())
    # the bench holds the 0.5% target; here: clearly a working classifier on the real test set
    assert metrics["test"]["error_rate"] <= 0.01 and metrics["test"]["balanced_accuracy"] >= 0.98
    assert metrics["test"]["n"] == 10000 and metrics["data"]["source"].startswith("mnist:")
    from guidance.models.shipped import SHIPPED_DIR

    shipped = json.loads((SHIPPED_DIR / "standard" / "metrics.json").read_text())
    from guidance.configs import TrainConfig

    assert TrainConfig.from_dict(metrics["train_config"]) == TrainConfig.from_dict(shipped["train_config"])
    assert abs(metrics["test"]["error_rate"] - shipped["test"]["error_rate"]) <= 0.003


def test_readme_main_command(data_dir, tmp_path):
    """`guide run --start noise --loss l1 --steps 500` with the default (robust10, shipped) model draws an 8 with a pen."""
    output = invoke("run", "--start", "noise", "--loss", "l1", "--steps", "500", "--data", data_dir, "--out", tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    # the image stops once the model is sure, and with it the run
    assert summary["status"] == "early_stop" and summary["steps_done"] == summary["images"][0]["reached_step"] < 500
    assert summary["data"].startswith("mnist:") and "saved to" in output
    images = np.load(tmp_path / "run" / "images.npz")
    assert images["steps"][0] == 0 and images["steps"][-1] == summary["steps_done"]
    assert summary["images"][0]["verdict"] == "generated" and summary["images"][0]["l2"] > 5  # drawn, not flipped
    assert "--model standard" in output


@pytest.mark.train
def test_blog_flip_replay(data_dir, tmp_path):
    """The write-up's experiment: a '2' the model is sure is not an 8 becomes '99% 8' while barely changing."""
    invoke("run", "--config", EXPERIMENTS / "blog-flip.toml", "--data", data_dir, "--out", tmp_path / "flip")
    summary = json.loads((tmp_path / "flip" / "summary.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "flip" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 15, 30, 45, 50]
    assert rows[0]["p_target"] < 0.05  # the model starts sure it is not an 8
    image = summary["images"][0]
    assert image["p_target"] >= 0.98 and image["top_class"] == "8"
    assert image["l2"] < 3.0  # adversarial size: a real 8 is ~9-10 away (RESEARCH.md)
    # the kit sees the flip by itself: the judge still sees the 2
    assert image["verdict"] == "flip" and image["judge_top"] == "2"
    assert summary["verdicts"]["flip"] == 1


def test_judge_accuracy_real_eights_and_noise(data_dir, full_mnist):
    """Issue 4's behaviour targets (the bench prints the same figures)."""
    import torch

    from guidance.api import load_guided_model, load_run_judge
    from guidance.data.images import as_pixels
    from guidance.verdicts.judge import judge_images, verdict_counts

    judge = load_run_judge(8, data_dir)
    assert judge.model.info["test"]["error_rate"] <= 0.01
    guided = load_guided_model("standard", 8, data_dir=data_dir)
    real = judge_images(judge, as_pixels(full_mnist.test_digits(8)), guided, 8, 0.99)
    # the verdict is about the image: real 8s are generated however unsure the guided model is
    assert verdict_counts(real)["generated"] >= 0.95 * len(real)
    noise = judge_images(judge, torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(1)), guided, 8, 0.99)
    assert verdict_counts(noise)["generated"] == 0
