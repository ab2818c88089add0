"""The models shipped in the package: found without training, and the user's own training wins."""

import json

import pytest
from typer.testing import CliRunner

from guidance.api import load_guided_model, load_run_judge
from guidance.cli import app
from guidance.configs import (
    CRITIC_CONFIGS,
    JUDGE_CONFIG,
    JUDGE_CONFIGS,
    MODEL_PRESETS,
    DenoiserConfig,
    NoisyClassifierConfig,
)
from guidance.models.shipped import SHIPPED_DIR, shipped_folder, shipped_names
from guidance.models.store import preset_folder

runner = CliRunner()
SHIPPED = {"standard": MODEL_PRESETS["standard"], "robust": MODEL_PRESETS["robust"], "robust10": MODEL_PRESETS["robust10"],
           "judge": JUDGE_CONFIG,
           "denoiser": DenoiserConfig(), "noisy": NoisyClassifierConfig(), "critic": CRITIC_CONFIGS["mnist"]}
FASHION = "fashion-mnist"
FASHION_SHIPPED = {  # Fashion-MNIST's chain, for the sneaker
    "standard": MODEL_PRESETS["standard"].override(dataset=FASHION, target=7),
    "robust": MODEL_PRESETS["robust"].override(dataset=FASHION, target=7), "judge": JUDGE_CONFIGS[FASHION],
    "robust10": MODEL_PRESETS["robust10"].override(dataset=FASHION),  # every class: one model for every target
    "denoiser": DenoiserConfig(dataset=FASHION), "noisy": NoisyClassifierConfig(dataset=FASHION, target=7),
    "critic": CRITIC_CONFIGS[FASHION],
}


def test_the_package_ships_the_headline_verdict_and_diffusion_models_small():
    assert shipped_names() == sorted(SHIPPED)
    total = sum(path.stat().st_size for path in SHIPPED_DIR.rglob("*") if path.is_file())
    assert total < 10 * 2**20  # both data sets


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_model_records_its_recipe_data_and_metrics(name):
    info = json.loads((SHIPPED_DIR / name / "metrics.json").read_text())
    assert shipped_folder(name, SHIPPED[name]) == SHIPPED_DIR / name  # trained with exactly the preset's config
    assert info["data"]["source"].startswith("mnist:") and len(info["data"]["fingerprint"]) >= 8
    # the denoiser is tested on 2,000 images; the critic on the 10,000 real ones and as many made artificial
    assert info["test"]["n"] in (2000, 10000, 20000) and {"torch", "fastai"} <= set(info["versions"])


@pytest.mark.parametrize("name", sorted(FASHION_SHIPPED))
def test_each_fashion_model_is_shipped_and_records_its_data_set(name):
    folder = SHIPPED_DIR / FASHION / name
    info = json.loads((folder / "metrics.json").read_text())
    assert shipped_folder(name, FASHION_SHIPPED[name]) == folder
    assert info["dataset"] == FASHION and info["data"]["source"].startswith("fashion-mnist:")
    assert shipped_folder(name, SHIPPED[name]) != folder  # MNIST's recipe never finds it


def test_fashion_presets_load_from_the_package(full_fashion):
    from guidance.diffusion.presets import noisy_classifier, resolve_denoiser

    data = lambda: full_fashion  # noqa: E731
    model = load_guided_model("robust", 7, data=data, dataset=FASHION)
    assert model.info["folder"] == str(SHIPPED_DIR / FASHION / "robust") and model.class_names == ["sneaker", "not_sneaker"]
    assert load_run_judge(7, data=data, dataset=FASHION).model.info["folder"] == str(SHIPPED_DIR / FASHION / "judge")
    assert resolve_denoiser("default", data).info["folder"] == str(SHIPPED_DIR / FASHION / "denoiser")
    assert noisy_classifier(7, data).info["folder"] == str(SHIPPED_DIR / FASHION / "noisy")


def test_a_shipped_model_stands_in_only_for_its_own_recipe():
    assert shipped_folder("robust", MODEL_PRESETS["robust"].override(target=3)) is None
    assert shipped_folder("standard", MODEL_PRESETS["standard"].override(epochs=1)) is None
    assert shipped_folder("nope", MODEL_PRESETS["standard"]) is None


def test_presets_load_from_the_package_with_no_training(sample):
    model = load_guided_model("robust", 8, data=lambda: sample)
    assert model.info["folder"] == str(SHIPPED_DIR / "robust")
    judge = load_run_judge(8, data=lambda: sample)
    assert judge.model.info["folder"] == str(SHIPPED_DIR / "judge")
    from guidance.diffusion.presets import noisy_classifier, resolve_denoiser

    assert resolve_denoiser("mnist", lambda: sample).info["folder"] == str(SHIPPED_DIR / "denoiser")
    assert noisy_classifier(8, lambda: sample).info["folder"] == str(SHIPPED_DIR / "noisy")


def test_a_model_the_user_trained_takes_precedence(sample, tiny_model_folder):
    import shutil

    cached = preset_folder(MODEL_PRESETS["standard"], sample.fingerprint)
    shutil.copytree(tiny_model_folder, cached)
    try:
        assert load_guided_model("standard", 8, data=lambda: sample).info["folder"] == str(cached)
    finally:
        shutil.rmtree(cached)


def test_default_is_refused_with_the_new_names():
    result = runner.invoke(app, ["run", "--model", "default"])
    assert result.exit_code == 1 and "'standard'" in result.output and "'robust10'" in result.output
