"""Each shipped model's recipe still reaches its floor, and the shipped weights are what their metrics say.

The floors are the release check (`pytest -m train`, about two minutes on 2 cores): the recipes train
on a 10,000-image subset of the full data set with fewer epochs, against floors measured that way
(with margin); the full recipes' figures are in the shipped metrics.json files and README. The
shipped weights' checks are slow and run in CI (tests/training/test_smoke.py runs every recipe
briefly there). MNIST's models are for the 8, Fashion-MNIST's for the sneaker.
"""

import json

import pytest

from guidance.configs import MODEL_PRESETS, VERDICT_PRESETS
from guidance.models.shipped import SHIPPED_DIR
from guidance.models.store import load_model
from guidance.training.classifier import evaluate, train_classifier

pytestmark = pytest.mark.slow
TARGETS = {"mnist": 8, "fashion-mnist": 7}

# (data set, recipe) -> its subset version, and floors: (max test error, min balanced accuracy, min robust accuracy)
RECIPES = {
    ("mnist", "standard"): (dict(train_limit=10000, epochs=1), (0.04, 0.95, None)),
    ("mnist", "judge"): (dict(train_limit=10000, epochs=1), (0.08, 0.90, None)),
    ("mnist", "robust"): (dict(train_limit=10000, epochs=2), (0.05, 0.90, 0.30)),
    ("fashion-mnist", "standard"): (dict(train_limit=10000, epochs=1), (0.08, 0.93, None)),
    ("fashion-mnist", "judge"): (dict(train_limit=10000, epochs=2), (0.26, 0.72, None)),
    ("fashion-mnist", "robust"): (dict(train_limit=10000, epochs=2), (0.16, 0.88, 0.60)),
    ("mnist", "critic"): (dict(train_limit=10000, epochs=1), (0.12, 0.88, None)),
    ("mnist", "robust10"): (dict(train_limit=10000, epochs=2), (0.12, 0.87, 0.06)),
    ("fashion-mnist", "critic"): (dict(train_limit=10000, epochs=1), (0.19, 0.81, None)),
}
SHIPPED_FLOORS = {
    ("mnist", "standard"): (0.006, 0.99, None), ("mnist", "judge"): (0.01, 0.99, None),
    ("mnist", "robust"): (0.03, 0.98, 0.45),
    ("fashion-mnist", "standard"): (0.02, 0.98, None), ("fashion-mnist", "judge"): (0.11, 0.89, None),
    ("fashion-mnist", "robust"): (0.11, 0.94, 0.75),
    ("mnist", "critic"): (0.03, 0.97, None), ("fashion-mnist", "critic"): (0.085, 0.915, None),
    ("mnist", "robust10"): (0.035, 0.965, 0.20), ("fashion-mnist", "robust10"): (0.20, 0.80, 0.24),
}


def recipe(dataset: str, name: str):
    if name in VERDICT_PRESETS:
        return VERDICT_PRESETS[name](dataset)
    return MODEL_PRESETS[name].override(dataset=dataset, target=TARGETS[dataset])


def check_floors(info, floors):
    max_error, min_balanced, min_robust = floors
    assert info["test"]["error_rate"] <= max_error
    assert info["test"]["balanced_accuracy"] >= min_balanced
    if min_robust is not None:
        assert info["robust"]["robust_accuracy"] >= min_robust


@pytest.fixture(scope="module")
def datasets(full_mnist, full_fashion):
    return {"mnist": full_mnist, "fashion-mnist": full_fashion}


@pytest.mark.train
@pytest.mark.parametrize("dataset, name", sorted(RECIPES))
def test_recipe_on_a_subset_reaches_its_floor(dataset, name, datasets):
    subset, floors = RECIPES[dataset, name]
    model = train_classifier(recipe(dataset, name).override(**subset), datasets[dataset], name=name)
    check_floors(model.info, floors)


@pytest.mark.parametrize("dataset, name", sorted(SHIPPED_FLOORS))
def test_shipped_weights_measure_what_their_metrics_say(dataset, name, datasets):
    folder = SHIPPED_DIR / name if dataset == "mnist" else SHIPPED_DIR / dataset / name
    info = json.loads((folder / "metrics.json").read_text())
    data = datasets[dataset]
    assert info["data"]["fingerprint"] == data.fingerprint  # trained on the full set
    check_floors(info, SHIPPED_FLOORS[dataset, name])
    report = evaluate(load_model(folder, dataset=dataset), data.test_images, data.test_labels, recipe(dataset, name))
    assert report.error_rate == pytest.approx(info["test"]["error_rate"], abs=1e-4)
