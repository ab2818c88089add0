"""Fashion-MNIST's targets with the shipped models (bench/bench_fashion.py and bench_verdicts.py print them).

Marked slow (about 2 minutes): the standard model's accuracy, the verdicts' calibration (real test
images of every class, the failure battery toward sneaker), and the generate-sneaker recipe against its own starts.
"""

from __future__ import annotations

import pytest
from test_datasets_cli import EXPERIMENTS

from guidance.api import load_guided_model, load_run_judge, run_experiment
from guidance.configs import RunConfig, TrainConfig
from guidance.data.images import as_pixels
from guidance.resolve import Workspace
from guidance.training.classifier import evaluate
from guidance.verdicts.battery import PROTOTYPES, failure_battery
from guidance.verdicts.judge import judge_images, verdict_counts

pytestmark = pytest.mark.slow
SNEAKER = 7
MISSED = "docs/verdicts.md: a target not reached"
MISSED_CLASSES = {0, 2, 3, 4, 5, 6, 9}  # the tops the judge is unsure of (58-87%); sandal and ankle boot at 94.8%
FLIPS = "flips of sandal, bag, pullover (L2 <= 3)"


@pytest.fixture(scope="module")
def setting(full_fashion):
    data = lambda: full_fashion  # noqa: E731
    standard = load_guided_model("standard", SNEAKER, data=data, dataset="fashion-mnist")
    robust = load_guided_model("robust", SNEAKER, data=data, dataset="fashion-mnist")
    return data, standard, robust, load_run_judge(SNEAKER, data=data, dataset="fashion-mnist")


def generated_share(judge, images, guided=None) -> float:
    verdicts = judge_images(judge, images, guided, SNEAKER, 0.99, guided_p=[1.0] * len(images))
    return verdict_counts(verdicts)["generated"] / len(images)


def test_the_standard_model_separates_sneakers(setting, full_fashion):
    _, standard, _, _ = setting
    report = evaluate(standard, full_fashion.test_images, full_fashion.test_labels,
                      TrainConfig.from_dict(standard.info["train_config"]))
    assert report.balanced_accuracy >= 0.98
    assert report.balanced_accuracy == pytest.approx(standard.info["test"]["balanced_accuracy"], abs=1e-4)


@pytest.fixture(scope="module")
def battery(setting, full_fashion):
    _, standard, robust, _ = setting
    return failure_battery(full_fashion, standard, robust, n=64, flip_from=(5, 8, 2))


@pytest.mark.parametrize("label", [
    pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=MISSED)) if label in MISSED_CLASSES else label
    for label in range(10)])
def test_real_test_images_of_every_class_are_generated(full_fashion, shared_data_root, label):
    judge = Workspace(shared_data_root, data=lambda: full_fashion).judge("fashion-mnist", label)
    verdicts = judge_images(judge, as_pixels(full_fashion.test_digits(label)), None, label, 0.99)
    assert verdict_counts(verdicts)["generated"] >= 0.95 * len(verdicts)




@pytest.mark.parametrize("group", [
    "uniform noise", "gaussian noise", "standard model's blobs", "curved strokes", "smooth textures",
    "blurred mean images", FLIPS,
    pytest.param("L1-shrunk sketches", marks=pytest.mark.xfail(strict=True, reason=MISSED + " (39.1%)")),
])
def test_no_battery_group_passes_as_generated(setting, battery, group):
    judge = setting[3]
    assert generated_share(judge, battery[group]) <= 0.02


def test_few_of_the_robust_prototypes_pass(setting, battery):
    assert generated_share(setting[3], battery[PROTOTYPES]) <= 0.10


def test_generate_sneaker_draws_varied_sneakers(setting, tmp_path):
    """32 of the recipe's 64 seeds: the 10-class robust model sharpens Gaussian starts into sneakers the verdict passes.

    (Blind raters still call most of them artificial, grainy: docs/generation.md.)
    """
    data, _, _, judge = setting
    config = RunConfig.from_toml(EXPERIMENTS / "generate-sneaker.toml").override(batch=32, device="cpu")
    summary = run_experiment(config, out=tmp_path / "recipe", data=data, judge=judge).summary
    metrics = summary["set_metrics"]
    assert summary["verdicts"]["generated"] >= 0.9 * config.batch, summary["verdicts"]
    assert metrics["recall"] >= 0.5 * metrics["recall_real"] and metrics["twins"] <= 0.05
