"""Each shipped model's recipe still reaches its floor, and the shipped weights are what their metrics say.

Marked slow (about a minute on 2 cores): the recipes train on a 10,000-image subset of full
MNIST with fewer epochs, against floors measured that way (with margin); the full recipes'
figures are in the shipped metrics.json files and README.
"""

import json

import pytest

from guidance.config import JUDGE_CONFIG, MODEL_PRESETS
from guidance.models.shipped import SHIPPED_DIR
from guidance.models.store import load_model
from guidance.training.classifier import evaluate, train_classifier

pytestmark = pytest.mark.slow

# recipe, its subset version, and floors: (max test error, min balanced accuracy, min robust accuracy)
RECIPES = {
    "standard": (MODEL_PRESETS["standard"], dict(train_limit=10000, epochs=1), (0.04, 0.95, None)),
    "judge": (JUDGE_CONFIG, dict(train_limit=10000, epochs=1), (0.08, 0.90, None)),
    "robust": (MODEL_PRESETS["robust"], dict(train_limit=10000, epochs=2), (0.05, 0.90, 0.30)),
}
SHIPPED_FLOORS = {"standard": (0.006, 0.99, None), "judge": (0.01, 0.99, None), "robust": (0.03, 0.98, 0.45)}


def check_floors(info, floors):
    max_error, min_balanced, min_robust = floors
    assert info["test"]["error_rate"] <= max_error
    assert info["test"]["balanced_accuracy"] >= min_balanced
    if min_robust is not None:
        assert info["robust"]["robust_accuracy"] >= min_robust


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_on_a_subset_reaches_its_floor(name, full_mnist):
    recipe, subset, floors = RECIPES[name]
    model = train_classifier(recipe.override(**subset), full_mnist, name=name)
    check_floors(model.info, floors)


@pytest.mark.parametrize("name", sorted(SHIPPED_FLOORS))
def test_shipped_weights_measure_what_their_metrics_say(name, full_mnist):
    info = json.loads((SHIPPED_DIR / name / "metrics.json").read_text())
    assert info["data"]["fingerprint"] == full_mnist.fingerprint  # trained on full MNIST
    check_floors(info, SHIPPED_FLOORS[name])
    config = JUDGE_CONFIG if name == "judge" else MODEL_PRESETS[name]
    report = evaluate(load_model(SHIPPED_DIR / name), full_mnist.test_images, full_mnist.test_labels, config)
    assert report.error_rate == pytest.approx(info["test"]["error_rate"], abs=1e-4)
